import LinearAlgebra
import Testing

// Oracle tests: every LAPACK/BLAS-backed operation against a naive Swift
// implementation on small matrices. Tolerance: 1e-12 relative to the matrix
// scale unless stated.

/// A deterministic pseudo-random generator (SplitMix64) so failures reproduce.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, layout: MatrixLayout = .columnMajor) -> Matrix {
  var g = SplitMix(state: seed)
  var m = Matrix(rows: rows, columns: cols, layout: layout)
  for i in 0..<rows {
    for j in 0..<cols { m[i, j] = Double.random(in: -1...1, using: &g) }
  }
  return m
}

func naiveGram(_ x: Matrix, _ alpha: Double) -> [[Double]] {
  (0..<x.columns).map { i in
    (0..<x.columns).map { j in alpha * (0..<x.rows).reduce(0) { $0 + x[$1, i] * x[$1, j] } }
  }
}

func naiveMul(_ a: [[Double]], _ x: [Double]) -> [Double] { a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } } }

func maxAbsDiff(_ a: [[Double]], _ b: [[Double]]) -> Double {
  zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 0
}

/// A random SPD matrix `XᵀX + εI`.
func randomSPD(_ n: Int, seed: UInt64) throws -> SymmetricMatrix {
  let x = randomMatrix(n + 3, n, seed: seed)
  var s = try SymmetricMatrix.gram(x)
  for i in 0..<n { s.set(i, i, to: s[i, i] + 0.1) }
  return s
}

@Suite("Matrix and SymmetricMatrix")
struct MatrixTests {
  @Test("row- and column-major storage agree on (i, j)")
  func layouts() throws {
    let r = try Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
    #expect(r.layout == .rowMajor)
    #expect(r.elements == [1, 2, 3, 4, 5, 6])
    let c = r.converted(to: .columnMajor)
    #expect(c.elements == [1, 4, 2, 5, 3, 6])
    #expect(c[1, 2] == 6 && r[1, 2] == 6)
    #expect(c.rowArrays == r.rowArrays)
  }

  @Test("element count is checked")
  func wrongCount() {
    #expect(throws: LinearAlgebraError.self) { try Matrix(rows: 2, columns: 2, layout: .rowMajor, elements: [1, 2, 3]) }
    #expect(throws: LinearAlgebraError.self) { try Matrix(rowArrays: [[1, 2], [3]]) }
  }

  @Test("a symmetric matrix rejects asymmetry, non-square and NaN input")
  func symmetricValidation() {
    #expect(throws: LinearAlgebraError.notSymmetric(row: 0, column: 1)) { try SymmetricMatrix(rowArrays: [[1, 2], [3, 1]]) }
    #expect(throws: LinearAlgebraError.self) { try SymmetricMatrix(rowArrays: [[1, 2, 3], [2, 1, 0]]) }
    #expect(throws: LinearAlgebraError.self) { try SymmetricMatrix(rowArrays: [[1, .nan], [.nan, 1]]) }
  }

  @Test("dsyrk Gram product equals the naive XᵀX in both layouts", arguments: [(5, 3), (40, 7), (3, 6), (1, 1)])
  func gram(rows: Int, cols: Int) throws {
    for layout in [MatrixLayout.columnMajor, .rowMajor] {
      let x = randomMatrix(rows, cols, seed: UInt64(rows * 31 + cols), layout: layout)
      let got = try SymmetricMatrix.gram(x, scale: 0.5).rowArrays
      let want = naiveGram(x, 0.5)
      #expect(maxAbsDiff(got, want) < 1e-13, "\(layout)")
      // Exactly symmetric.
      #expect(got == (0..<cols).map { i in (0..<cols).map { got[$0][i] } })
    }
  }

  @Test("demeaned columns: x − column sum / T in both layouts, every run of columns visited once, in order")
  func demeaned() throws {
    for (t, n) in [(7, 1), (5, 4), (9, 6), (3, 9)] {
      var x = Matrix(rows: t, columns: n)
      for i in 0..<t {
        for j in 0..<n { x[i, j] = Double(i * i + 1) * 0.37 - Double(j) * 1.1 + 0.01 * Double(i * j) }
      }
      var visited: [Int] = []
      let (d, finite) = x.converted(to: .rowMajor).demeanedColumns { run, p in
        visited += Array(run)
        #expect(p.count == run.count * t)
      }
      #expect(finite && visited == Array(0..<n) && d.layout == .columnMajor)
      for j in 0..<n {
        var s = 0.0
        for i in 0..<t { s += x[i, j] }
        for i in 0..<t { #expect(d[i, j].bitPattern == (x[i, j] - s / Double(t)).bitPattern) }
      }
      #expect(x.demeanedColumns() == d)
    }
  }

  @Test("dgemv product and quadratic form equal the naive ones")
  func multiply() throws {
    let a = try randomSPD(6, seed: 7)
    let x = [0.3, -1, 2, 0.5, 0, 1.5]
    let got = try a.multiplied(by: x)
    let want = naiveMul(a.rowArrays, x)
    #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-12 })
    #expect(abs(try a.quadraticForm(x) - zip(x, want).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-11)
    #expect(throws: LinearAlgebraError.self) { try a.multiplied(by: [1, 2]) }
  }

  @Test("correlation from covariance has a unit diagonal and rejects a zero variance")
  func correlation() throws {
    let c = try SymmetricMatrix(rowArrays: [[4, 2], [2, 9]]).normalizedToUnitDiagonal()
    #expect(c.rowArrays == [[1, 2.0 / 6], [2.0 / 6, 1]])
    #expect(throws: LinearAlgebraError.self) { try SymmetricMatrix(rowArrays: [[0, 0], [0, 1]]).normalizedToUnitDiagonal() }
  }
}

@Suite("Decompositions")
struct DecompositionTests {
  @Test("Cholesky: L Lᵀ reproduces A and the upper triangle is zero", arguments: [1, 2, 5, 12])
  func cholesky(n: Int) throws {
    let a = try randomSPD(n, seed: UInt64(n))
    guard case .positiveDefinite(let f) = try a.cholesky() else {
      Issue.record("an SPD matrix was judged not positive definite")
      return
    }
    let l = f.lower
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) { #expect(l[i, j] == 0) }
    }
    let llt = (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + l[i, $1] * l[j, $1] } } }
    #expect(maxAbsDiff(llt, a.rowArrays) < 1e-12)
  }

  @Test("Cholesky gives a verdict, not an error, for an indefinite matrix")
  func choleskyVerdict() throws {
    let a = try SymmetricMatrix(rowArrays: [[1, 2], [2, 1]])
    #expect(try a.cholesky() == .notPositiveDefinite(minorOrder: 2))
    #expect(throws: LinearAlgebraError.self) { try SymmetricMatrix(diagonal: [1, .infinity]).cholesky() }
  }

  @Test("eigendecomposition: A v = λ v, orthonormal V, ascending λ", arguments: [1, 3, 8])
  func eigen(n: Int) throws {
    let a = try randomSPD(n, seed: UInt64(100 + n))
    let e = try a.eigendecomposition()
    #expect(e.eigenvalues == e.eigenvalues.sorted())
    for k in 0..<n {
      let v = e.eigenvectors.column(k)
      let av = naiveMul(a.rowArrays, v)
      #expect(zip(av, v).allSatisfy { abs($0 - e.eigenvalues[k] * $1) < 1e-11 })
      for m in 0..<n {
        let dot = zip(v, e.eigenvectors.column(m)).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(dot - (k == m ? 1 : 0)) < 1e-12)
      }
    }
    #expect(maxAbsDiff(e.reconstructed(with: e.eigenvalues).rowArrays, a.rowArrays) < 1e-12)
    // Known spectrum: [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    let w = try SymmetricMatrix(rowArrays: [[2, 1], [1, 2]]).eigenvalues()
    #expect(abs(w[0] - 1) < 1e-15 && abs(w[1] - 3) < 1e-15)
  }

  @Test("solves: dposv and dsysv give A x = b")
  func solves() throws {
    let a = try randomSPD(7, seed: 3)
    let b = (0..<7).map { Double($0) - 2.5 }
    for x in [try a.solvePositiveDefinite(b), try a.solve(b)] {
      let ax = naiveMul(a.rowArrays, x)
      #expect(zip(ax, b).allSatisfy { abs($0 - $1) < 1e-10 })
    }
    // Indefinite but non-singular: dsysv solves it, dposv refuses.
    let ind = try SymmetricMatrix(rowArrays: [[1, 2], [2, 1]])
    let x = try ind.solve([3, 3])
    #expect(abs(x[0] - 1) < 1e-14 && abs(x[1] - 1) < 1e-14)
    #expect(throws: LinearAlgebraError.notPositiveDefinite(minorOrder: 2)) { try ind.solvePositiveDefinite([3, 3]) }
    #expect(throws: LinearAlgebraError.singular(pivot: 2)) { try SymmetricMatrix(rowArrays: [[1, 1], [1, 1]]).solve([1, 1]) }
  }

  @Test("condition number: ratio of extreme |eigenvalues|; infinite when singular")
  func condition() throws {
    #expect(abs(try SymmetricMatrix(diagonal: [2, 8, 4]).conditionNumber() - 4) < 1e-14)
    #expect(try SymmetricMatrix(rowArrays: [[1, 1], [1, 1]]).conditionNumber() > 1e15)
    #expect(try SymmetricMatrix(diagonal: [0, 1]).conditionNumber() == .infinity)
  }

  @Test("nearest PSD: clips negative eigenvalues, reports what changed, leaves a PSD matrix untouched")
  func psdRepair() throws {
    // Correlations 0.9, 0.9, -0.9 are inconsistent: not PSD.
    let bad = try SymmetricMatrix(rowArrays: [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
    let r = try bad.nearestPositiveSemidefinite()
    #expect(r.changed)
    #expect(r.clippedEigenvalues == 1)
    #expect(r.minimumEigenvalueBefore < 0)
    let after = try r.matrix.eigenvalues()
    #expect((after.first ?? -1) >= -1e-12)
    #expect(r.frobeniusChange > 0)
    // Naive check of the reported change.
    let diff = maxAbsDiff(r.matrix.rowArrays, bad.rowArrays)
    #expect(diff > 0 && diff <= r.frobeniusChange + 1e-15)
    let good = try randomSPD(4, seed: 9)
    let same = try good.nearestPositiveSemidefinite()
    #expect(!same.changed && same.matrix == good && same.frobeniusChange == 0)
  }
}

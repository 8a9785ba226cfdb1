internal import CLAPACKE

/// A real symmetric `n × n` matrix.
///
/// Both triangles are stored (column-major, which for a symmetric matrix is
/// also row-major), so the elements can be handed to LAPACK as they are and
/// read back without unpacking. Every constructor guarantees exact symmetry.
public struct SymmetricMatrix: Sendable, Hashable {
  public let dimension: Int
  /// All `n²` elements; `elements[i + j*n] == elements[j + i*n]`.
  public private(set) var elements: [Double]

  /// The `n × n` zero matrix (or `value` on the diagonal).
  public init(dimension: Int, diagonal value: Double = 0) {
    precondition(dimension >= 0, "dimension must be non-negative")
    self.dimension = dimension
    self.elements = Array(repeating: 0, count: dimension * dimension)
    for i in 0..<dimension { elements[i * dimension + i] = value }
  }

  /// A diagonal matrix.
  public init(diagonal values: [Double]) {
    self.init(dimension: values.count)
    for (i, v) in values.enumerated() { elements[i * dimension + i] = v }
  }

  /// A symmetric matrix from rows.
  ///
  /// - Parameter tolerance: the largest `|a_ij − a_ji|` accepted, relative to
  ///   the largest absolute element; the stored matrix is `(A + Aᵀ)/2`.
  /// - Throws: ``LinearAlgebraError/dimensionMismatch(_:)`` when not square,
  ///   ``LinearAlgebraError/notSymmetric(row:column:)`` beyond tolerance,
  ///   ``LinearAlgebraError/nonFinite(_:)`` for NaN or infinities.
  public init(rowArrays: [[Double]], tolerance: Double = 1e-12) throws(LinearAlgebraError) {
    let n = rowArrays.count
    guard rowArrays.allSatisfy({ $0.count == n }) else {
      throw .dimensionMismatch(
        "a symmetric matrix must be square, got \(n) rows of lengths \(Set(rowArrays.map(\.count)).sorted())")
    }
    let scale = rowArrays.joined().reduce(0) { max($0, abs($1)) }
    self.init(dimension: n)
    for i in 0..<n {
      for j in 0..<n {
        let a = rowArrays[i][j]
        let b = rowArrays[j][i]
        guard a.isFinite else { throw .nonFinite("element (\(i), \(j))") }
        guard abs(a - b) <= tolerance * max(scale, .leastNormalMagnitude) else {
          throw .notSymmetric(row: i, column: j)
        }
        elements[i + j * n] = (a + b) / 2
      }
    }
  }

  /// Internal: trusted storage that is already symmetric.
  init(dimension: Int, symmetricElements: [Double]) {
    self.dimension = dimension
    self.elements = symmetricElements
  }

  public subscript(row: Int, column: Int) -> Double {
    precondition(row >= 0 && row < dimension && column >= 0 && column < dimension, "matrix index out of range")
    return elements[row + column * dimension]
  }

  /// Sets `a_ij` and `a_ji` together, keeping the matrix symmetric.
  public mutating func set(_ row: Int, _ column: Int, to value: Double) {
    precondition(row >= 0 && row < dimension && column >= 0 && column < dimension, "matrix index out of range")
    elements[row + column * dimension] = value
    elements[column + row * dimension] = value
  }

  public var diagonal: [Double] { (0..<dimension).map { elements[$0 * dimension + $0] } }
  public var trace: Double { diagonal.reduce(0, +) }
  public var rowArrays: [[Double]] {
    (0..<dimension).map { i in (0..<dimension).map { j in elements[i + j * dimension] } }
  }
  public var isFinite: Bool { elements.allSatisfy(\.isFinite) }

  /// `c · A`.
  public func scaled(by c: Double) -> SymmetricMatrix {
    SymmetricMatrix(dimension: dimension, symmetricElements: elements.map { $0 * c })
  }

  /// `A ← c · A` in place: the elements of ``scaled(by:)`` without a second `n²` array.
  public mutating func scale(by c: Double) {
    elements.withUnsafeMutableBufferPointer { p in
      for k in p.indices { p[k] *= c }
    }
  }

  /// The `n²` column-major elements, to rewrite in place; `body` must leave them exactly
  /// symmetric (`elements[i + j*n] == elements[j + i*n]`), which debug builds check.
  ///
  /// For estimators that rewrite a large covariance element by element (at n = 5,000 a copy
  /// is 200 MB): ``set(_:_:to:)`` writes the second triangle `n` elements apart, and a copy
  /// doubles the peak memory.
  public mutating func modifySymmetricElements<R>(_ body: (UnsafeMutableBufferPointer<Double>) -> R) -> R {
    let n = dimension
    let result = elements.withUnsafeMutableBufferPointer { p in body(p) }
    assert(
      (0..<n).allSatisfy { j in (0..<j).allSatisfy { i in elements[i + j * n] == elements[j + i * n] } },
      "modifySymmetricElements left the matrix asymmetric")
    return result
  }

  /// The principal submatrix on `indices` (in that order).
  public func submatrix(_ indices: [Int]) -> SymmetricMatrix {
    let m = indices.count
    var out = [Double](repeating: 0, count: m * m)
    for (b, j) in indices.enumerated() {
      for (a, i) in indices.enumerated() { out[a + b * m] = elements[i + j * dimension] }
    }
    return SymmetricMatrix(dimension: m, symmetricElements: out)
  }

  /// `D^{-1/2} A D^{-1/2}` with `D = diag(A)`: the correlation matrix of a covariance.
  ///
  /// - Throws: ``LinearAlgebraError/nonFinite(_:)`` when a diagonal element is
  ///   not positive (a constant series has no correlation).
  public func normalizedToUnitDiagonal() throws(LinearAlgebraError) -> SymmetricMatrix {
    let d = diagonal
    var s = [Double](repeating: 0, count: dimension)
    for i in 0..<dimension {
      guard d[i] > 0, d[i].isFinite else { throw .nonFinite("diagonal element \(i) is \(d[i]), not positive") }
      s[i] = 1 / d[i].squareRoot()
    }
    var out = elements
    for j in 0..<dimension {
      for i in 0..<dimension { out[i + j * dimension] *= s[i] * s[j] }
      out[j + j * dimension] = 1
    }
    return SymmetricMatrix(dimension: dimension, symmetricElements: out)
  }

  /// `A x` (BLAS `dgemv`).
  public func multiplied(by x: [Double]) throws(LinearAlgebraError) -> [Double] {
    guard x.count == dimension else {
      throw .dimensionMismatch("a \(dimension)×\(dimension) matrix times a vector of \(x.count)")
    }
    if dimension == 0 { return [] }
    let blas = try LAPACKLibrary.get()
    blas.useThreads(forFlops: 2 * Double(dimension) * Double(dimension))
    var y = [Double](repeating: 0, count: dimension)
    let n = Int32(dimension)
    elements.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          blas.dgemv(
            ADVISOR_CBLAS_COL_MAJOR, ADVISOR_CBLAS_NO_TRANS, n, n, 1,
            a.baseAddress, n, xp.baseAddress, 1, 0, yp.baseAddress, 1)
        }
      }
    }
    return y
  }

  /// `xᵀ A x`.
  public func quadraticForm(_ x: [Double]) throws(LinearAlgebraError) -> Double {
    let ax = try multiplied(by: x)
    var s = 0.0
    for i in 0..<dimension { s += x[i] * ax[i] }
    return s
  }

  /// `α · XᵀX` for a `T × N` matrix `X`, by BLAS `dsyrk` (one pass, upper
  /// triangle, then mirrored).
  ///
  /// This is the covariance product: with `X` the demeaned returns (one column
  /// per instrument) and `α = 1/(T−1)` it is the sample covariance.
  /// - Throws: ``LinearAlgebraError/libraryUnavailable(_:)`` when BLAS cannot be opened.
  public static func gram(_ x: Matrix, scale alpha: Double = 1) throws(LinearAlgebraError) -> SymmetricMatrix {
    let n = x.columns
    var c = try upperGramElements(x, scale: alpha)
    if n > 0 && x.rows > 0 { mirrorUpperTriangle(&c, dimension: n) }
    return SymmetricMatrix(dimension: n, symmetricElements: c)
  }

  /// ``gram(_:scale:)`` and whether every element is finite, found in the mirror pass (each
  /// element of the upper triangle as it is copied, and the diagonal) instead of a pass over the
  /// `n²` elements of its own: `isFinite` is the value of ``isFinite`` on the result.
  package static func gramCheckingFinite(
    _ x: Matrix, scale alpha: Double
  ) throws(LinearAlgebraError) -> (matrix: SymmetricMatrix, isFinite: Bool) {
    let n = x.columns
    var c = try upperGramElements(x, scale: alpha)
    // With no rows, C is zero (dsyrk is not called).
    let finite = n > 0 && x.rows > 0 ? mirror(&c, dimension: n, checkingFinite: true) : true
    return (SymmetricMatrix(dimension: n, symmetricElements: c), finite)
  }

  /// Copies the upper triangle of the column-major `n × n` elements onto the lower, in 64 × 64
  /// tiles: row by row, the writes to the lower triangle are `n` apart, and at n = 5,000 an
  /// untiled loop misses the cache on every one of them (BENCHMARKS.md, "Covariance at scale").
  static func mirrorUpperTriangle(_ c: inout [Double], dimension n: Int) {
    _ = mirror(&c, dimension: n, checkingFinite: false)
  }

  /// The mirror of ``mirrorUpperTriangle(_:dimension:)``; with `checkingFinite`, also whether
  /// every element of the upper triangle (so of the whole matrix) is finite, else `true`.
  @inline(__always)
  private static func mirror(_ c: inout [Double], dimension n: Int, checkingFinite: Bool) -> Bool {
    let tile = 64
    // The largest |element| as bits: a non-finite double's magnitude bits are ≥ those of +∞.
    let magnitudeBits: UInt64 = 0x7FFF_FFFF_FFFF_FFFF
    var largest: UInt64 = 0
    c.withUnsafeMutableBufferPointer { p in
      for jb in stride(from: 0, to: n, by: tile) {
        let jEnd = min(jb + tile, n)
        for ib in stride(from: 0, through: jb, by: tile) {
          for j in jb..<jEnd {
            let iEnd = min(ib + tile, j)
            if iEnd <= ib { continue }
            for i in ib..<iEnd {
              let v = p[i + j * n]
              p[j + i * n] = v
              if checkingFinite { largest = max(largest, v.bitPattern & magnitudeBits) }
            }
          }
        }
      }
      if checkingFinite {
        for i in 0..<n { largest = max(largest, p[i + i * n].bitPattern & magnitudeBits) }
      }
    }
    return largest < Double.infinity.bitPattern
  }

  /// The `n²` column-major elements of `α · XᵀX` with only the upper triangle
  /// written (the strict lower triangle is zero): one BLAS `dsyrk`, nothing else.
  /// The benchmarks' floor (BENCHMARKS.md); ``gram(_:scale:)`` is this plus the mirror.
  @_spi(Benchmarks) public static func upperGramElements(_ x: Matrix, scale alpha: Double = 1) throws(LinearAlgebraError)
    -> [Double]
  {
    let n = x.columns
    let t = x.rows
    var c = [Double](repeating: 0, count: n * n)
    if n > 0 && t > 0 {
      let blas = try LAPACKLibrary.get()
      blas.useThreads(forFlops: Double(n) * Double(n) * Double(t))
      // dsyrk computes C = α·AᵀA with A given in its own layout: for a
      // column-major T×N matrix, A is T×N (lda = T) and trans = Trans; for
      // row-major, the same bytes are the column-major N×T matrix Xᵀ, so
      // trans = NoTrans with lda = N.
      let (trans, lda) =
        x.layout == .columnMajor
        ? (ADVISOR_CBLAS_TRANS, Int32(t)) : (ADVISOR_CBLAS_NO_TRANS, Int32(n))
      x.elements.withUnsafeBufferPointer { a in
        c.withUnsafeMutableBufferPointer { cp in
          blas.dsyrk(
            ADVISOR_CBLAS_COL_MAJOR, ADVISOR_CBLAS_UPPER, trans, Int32(n), Int32(t),
            alpha, a.baseAddress, lda, 0, cp.baseAddress, Int32(n))
        }
      }
    }
    return c
  }
}

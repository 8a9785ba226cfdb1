internal import CLAPACKE

private let upper = CChar(UInt8(ascii: "U"))
private let lower = CChar(UInt8(ascii: "L"))

/// A lower-triangular Cholesky factor `L` with `A = L Lᵀ`.
public struct CholeskyFactor: Sendable, Hashable {
  /// `L`, column-major, zeros above the diagonal.
  public let lower: Matrix
}

/// The outcome of asking whether a symmetric matrix is positive definite.
public enum PositiveDefiniteness: Sendable, Hashable {
  case positiveDefinite(CholeskyFactor)
  /// The leading minor of this order (1-based) is not positive.
  case notPositiveDefinite(minorOrder: Int)

  public var isPositiveDefinite: Bool {
    if case .positiveDefinite = self { return true }
    return false
  }
}

/// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix:
/// `A = V diag(λ) Vᵀ`.
public struct SymmetricEigendecomposition: Sendable, Hashable {
  /// Ascending.
  public let eigenvalues: [Double]
  /// Column `k` is the unit eigenvector of `eigenvalues[k]`; column-major `n × n`.
  public let eigenvectors: Matrix

  /// `V diag(values) Vᵀ`, made exactly symmetric.
  public func reconstructed(with values: [Double]) -> SymmetricMatrix {
    let n = eigenvalues.count
    var out = [Double](repeating: 0, count: n * n)
    let v = eigenvectors.elements  // column-major
    for k in 0..<n where values[k] != 0 {
      let lam = values[k]
      let base = k * n
      for j in 0..<n {
        let vj = v[base + j] * lam
        if vj == 0 { continue }
        for i in j..<n { out[i + j * n] += v[base + i] * vj }
      }
    }
    for j in 0..<n {
      for i in (j + 1)..<max(j + 1, n) { out[j + i * n] = out[i + j * n] }
    }
    return SymmetricMatrix(dimension: n, symmetricElements: out)
  }
}

/// What a positive-semidefinite repair changed.
public struct PSDRepair: Sendable, Hashable {
  /// The repaired matrix (the input itself when nothing was changed).
  public let matrix: SymmetricMatrix
  /// The smallest eigenvalue before the repair.
  public let minimumEigenvalueBefore: Double
  /// How many eigenvalues were raised to the floor.
  public let clippedEigenvalues: Int
  /// `‖A_repaired − A‖_F`.
  public let frobeniusChange: Double
  /// `‖A_repaired − A‖_F / ‖A‖_F`.
  public let relativeChange: Double

  public var changed: Bool { clippedEigenvalues > 0 }
}

extension SymmetricMatrix {
  /// Cholesky factorisation by LAPACK `dpotrf` (lower triangle).
  ///
  /// Never throws for a matrix that is merely not positive definite: that is a
  /// verdict, ``PositiveDefiniteness/notPositiveDefinite(minorOrder:)``.
  /// - Throws: ``LinearAlgebraError/nonFinite(_:)`` for NaN or infinite input.
  public func cholesky() throws(LinearAlgebraError) -> PositiveDefiniteness {
    guard isFinite else { throw .nonFinite("Cholesky input") }
    if dimension == 0 { return .positiveDefinite(CholeskyFactor(lower: Matrix(rows: 0, columns: 0))) }
    let lapack = try LAPACKESolvers.get()
    lapack.useThreads(forFlops: Double(dimension) * Double(dimension) * Double(dimension) / 3)
    var a = elements
    let n = Int32(dimension)
    let info = a.withUnsafeMutableBufferPointer { p in
      lapack.dpotrf(LAPACK_COL_MAJOR, lower, n, p.baseAddress, n)
    }
    do {
      try checkLAPACK(info, routine: "dpotrf", meaning: .notPositiveDefinite)
    } catch .notPositiveDefinite(let k) {
      return .notPositiveDefinite(minorOrder: k)
    }
    // dpotrf leaves the other triangle as it was: zero it.
    for j in 0..<dimension {
      for i in 0..<j { a[i + j * dimension] = 0 }
    }
    return .positiveDefinite(
      CholeskyFactor(lower: try Matrix(rows: dimension, columns: dimension, layout: .columnMajor, elements: a)))
  }

  /// Symmetric eigendecomposition by LAPACK `dsyevd` (divide and conquer).
  /// - Throws: ``LinearAlgebraError/nonFinite(_:)``, ``LinearAlgebraError/noConvergence(routine:)``.
  public func eigendecomposition() throws(LinearAlgebraError) -> SymmetricEigendecomposition {
    let (w, v) = try syevd(vectors: true)
    return SymmetricEigendecomposition(
      eigenvalues: w, eigenvectors: try Matrix(rows: dimension, columns: dimension, layout: .columnMajor, elements: v))
  }

  /// Eigenvalues only (ascending), by `dsyevd` without vectors.
  public func eigenvalues() throws(LinearAlgebraError) -> [Double] {
    try syevd(vectors: false).values
  }

  /// `dsyevd`: ascending eigenvalues and, when asked, the eigenvectors (column-major, overwriting a copy).
  private func syevd(vectors: Bool) throws(LinearAlgebraError) -> (values: [Double], vectors: [Double]) {
    guard isFinite else { throw .nonFinite("eigendecomposition input") }
    let n = dimension
    if n == 0 { return ([], []) }
    let lapack = try LAPACKESolvers.get()
    lapack.useThreads(forFlops: (vectors ? 9 : 4) * Double(n) * Double(n) * Double(n) / 3)
    var a = elements
    var w = [Double](repeating: 0, count: n)
    let job = CChar(UInt8(ascii: vectors ? "V" : "N"))
    let info = a.withUnsafeMutableBufferPointer { ap in
      w.withUnsafeMutableBufferPointer { wp in
        lapack.dsyevd(LAPACK_COL_MAJOR, job, upper, Int32(n), ap.baseAddress, Int32(n), wp.baseAddress)
      }
    }
    try checkLAPACK(info, routine: "dsyevd", meaning: .noConvergence)
    return (w, a)
  }

  /// Solves `A x = b` for a positive-definite `A` by LAPACK `dposv` (Cholesky).
  /// - Throws: ``LinearAlgebraError/notPositiveDefinite(minorOrder:)`` and the shape/finite errors.
  public func solvePositiveDefinite(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
    guard b.count == dimension else {
      throw .dimensionMismatch("\(dimension)×\(dimension) system with \(b.count) right-hand sides")
    }
    guard isFinite, b.allSatisfy(\.isFinite) else { throw .nonFinite("linear system") }
    if dimension == 0 { return [] }
    let lapack = try LAPACKESolvers.get()
    lapack.useThreads(forFlops: Double(dimension) * Double(dimension) * Double(dimension) / 3)
    var a = elements
    var x = b
    let n = Int32(dimension)
    let info = a.withUnsafeMutableBufferPointer { ap in
      x.withUnsafeMutableBufferPointer { xp in
        lapack.dposv(LAPACK_COL_MAJOR, lower, n, 1, ap.baseAddress, n, xp.baseAddress, n)
      }
    }
    try checkLAPACK(info, routine: "dposv", meaning: .notPositiveDefinite)
    return x
  }

  /// Solves `A x = b` for a symmetric, possibly indefinite `A` by LAPACK `dsysv`
  /// (Bunch–Kaufman `L D Lᵀ`).
  /// - Throws: ``LinearAlgebraError/singular(pivot:)`` and the shape/finite errors.
  public func solve(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
    guard b.count == dimension else {
      throw .dimensionMismatch("\(dimension)×\(dimension) system with \(b.count) right-hand sides")
    }
    guard isFinite, b.allSatisfy(\.isFinite) else { throw .nonFinite("linear system") }
    if dimension == 0 { return [] }
    let lapack = try LAPACKESolvers.get()
    lapack.useThreads(forFlops: Double(dimension) * Double(dimension) * Double(dimension) / 3)
    var a = elements
    var x = b
    var pivots = [Int32](repeating: 0, count: dimension)
    let n = Int32(dimension)
    let info = a.withUnsafeMutableBufferPointer { ap in
      x.withUnsafeMutableBufferPointer { xp in
        pivots.withUnsafeMutableBufferPointer { pp in
          lapack.dsysv(LAPACK_COL_MAJOR, lower, n, 1, ap.baseAddress, n, pp.baseAddress, xp.baseAddress, n)
        }
      }
    }
    try checkLAPACK(info, routine: "dsysv", meaning: .singular)
    return x
  }

  /// The 2-norm condition number `max|λ| / min|λ|` (infinite when singular).
  public func conditionNumber() throws(LinearAlgebraError) -> Double {
    let w = try eigenvalues()
    guard let largest = w.map(abs).max(), let smallest = w.map(abs).min() else { return 1 }
    return smallest == 0 ? .infinity : largest / smallest
  }

  /// The nearest positive-semidefinite matrix in the Frobenius norm, by
  /// clipping eigenvalues below `floor` up to `floor` (Higham 1988 for the
  /// symmetric case): `A₊ = V max(Λ, floor) Vᵀ`.
  ///
  /// - Parameter floor: the smallest eigenvalue allowed (≥ 0).
  /// - Returns: the repair and what it changed; the matrix is returned
  ///   unchanged (bit for bit) when no eigenvalue is below `floor`.
  public func nearestPositiveSemidefinite(floor: Double = 0) throws(LinearAlgebraError) -> PSDRepair {
    precondition(floor >= 0, "eigenvalue floor must be non-negative")
    let e = try eigendecomposition()
    let minBefore = e.eigenvalues.first ?? 0
    let clipped = e.eigenvalues.filter { $0 < floor }.count
    if clipped == 0 {
      return PSDRepair(
        matrix: self, minimumEigenvalueBefore: minBefore, clippedEigenvalues: 0, frobeniusChange: 0, relativeChange: 0)
    }
    let repaired = e.reconstructed(with: e.eigenvalues.map { max($0, floor) })
    var diff = 0.0
    var norm = 0.0
    for k in 0..<elements.count {
      let d = repaired.elements[k] - elements[k]
      diff += d * d
      norm += elements[k] * elements[k]
    }
    let change = diff.squareRoot()
    return PSDRepair(
      matrix: repaired, minimumEigenvalueBefore: minBefore, clippedEigenvalues: clipped,
      frobeniusChange: change, relativeChange: norm > 0 ? change / norm.squareRoot() : 0)
  }
}

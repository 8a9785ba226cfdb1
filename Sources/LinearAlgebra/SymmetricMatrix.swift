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
      for j in 0..<n {
        for i in 0..<j { c[j + i * n] = c[i + j * n] }
      }
    }
    return SymmetricMatrix(dimension: n, symmetricElements: c)
  }
}

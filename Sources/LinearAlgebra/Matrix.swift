/// Storage order of a dense ``Matrix``.
public enum MatrixLayout: Sendable, Hashable {
  /// Element (i, j) at `i * columns + j`.
  case rowMajor
  /// Element (i, j) at `i + j * rows` (LAPACK's native order).
  case columnMajor
}

/// A dense general matrix of `Double`, stored row- or column-major.
///
/// Subscripting is by (row, column) whatever the layout; the layout only
/// matters to the BLAS/LAPACK calls, which are told it.
public struct Matrix: Sendable, Hashable {
  public let rows: Int
  public let columns: Int
  public let layout: MatrixLayout
  /// The elements in `layout` order.
  public internal(set) var elements: [Double]

  /// A matrix of `rows × columns` filled with `value`.
  public init(rows: Int, columns: Int, layout: MatrixLayout = .columnMajor, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.layout = layout
    self.elements = Array(repeating: value, count: rows * columns)
  }

  /// A column-major matrix whose every element `body` writes (in column-major order, once):
  /// no zero fill before (a 500 × 2,520 returns matrix is 10 MB), and a large buffer advised to
  /// huge pages before it is written (``adviseHugePages(_:)``).
  public init(columnMajorRows rows: Int, columns: Int, initializingWith body: (UnsafeMutableBufferPointer<Double>) -> Void) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.layout = .columnMajor
    self.elements = [Double](unsafeUninitializedCapacity: rows * columns) { buffer, count in
      adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
      body(buffer)
      count = rows * columns
    }
  }

  /// A matrix over existing storage.
  ///
  /// - Throws: ``LinearAlgebraError/dimensionMismatch(_:)`` when
  ///   `elements.count != rows * columns`.
  public init(rows: Int, columns: Int, layout: MatrixLayout, elements: [Double]) throws(LinearAlgebraError) {
    guard rows >= 0, columns >= 0, elements.count == rows * columns else {
      throw .dimensionMismatch(
        "a \(rows)×\(columns) matrix needs \(max(0, rows * columns)) elements, got \(elements.count)")
    }
    self.rows = rows
    self.columns = columns
    self.layout = layout
    self.elements = elements
  }

  /// A row-major matrix from an array of rows.
  public init(rowArrays: [[Double]]) throws(LinearAlgebraError) {
    let columns = rowArrays.first?.count ?? 0
    guard rowArrays.allSatisfy({ $0.count == columns }) else {
      throw .dimensionMismatch("rows have different lengths")
    }
    try self.init(rows: rowArrays.count, columns: columns, layout: .rowMajor, elements: rowArrays.flatMap { $0 })
  }

  @inlinable
  func offset(_ i: Int, _ j: Int) -> Int {
    layout == .rowMajor ? i * columns + j : i + j * rows
  }

  public subscript(row: Int, column: Int) -> Double {
    get {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
      return elements[offset(row, column)]
    }
    set {
      precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
      elements[offset(row, column)] = newValue
    }
  }

  /// The same matrix stored in the other order (or unchanged when already in `target`).
  public func converted(to target: MatrixLayout) -> Matrix {
    if target == layout { return self }
    var out = Matrix(rows: rows, columns: columns, layout: target)
    for i in 0..<rows {
      for j in 0..<columns { out.elements[out.offset(i, j)] = elements[offset(i, j)] }
    }
    return out
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Double] { (0..<rows).map { self[$0, j] } }
  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] { (0..<columns).map { self[i, $0] } }

  /// The rows as arrays (for rendering and tests).
  public var rowArrays: [[Double]] { (0..<rows).map { row($0) } }

  /// Lets `body` change the elements in place (in `layout` order); the
  /// element count must not change.
  public mutating func modifyElements<E: Error>(_ body: (inout [Double]) throws(E) -> Void) throws(E) {
    try body(&elements)
    precondition(elements.count == rows * columns, "modifyElements must keep the element count")
  }

  /// A column-major copy with each column's mean removed: `xᵢⱼ − x̄ⱼ`, `x̄ⱼ` the column's sum in
  /// row order divided by the number of rows.
  public func demeanedColumns() -> Matrix { demeanedColumns { _, _ in }.matrix }

  /// ``demeanedColumns()`` in one read of a column-major matrix: each column is summed (four
  /// columns in one loop, each sum in row order) and `x − x̄` written in place
  /// (``init(columnMajorRows:columns:initializingWith:)``). `visit` sees each
  /// run of columns once it is written, in column order, with the run's elements (still in
  /// cache): `visit(j₀..<j₁, elements of columns j₀..<j₁)`.
  ///
  /// `sumsFinite`: every column's sum is finite. A sum of finite terms only can be finite, so
  /// then every element is finite; a non-finite sum can also be the overflow of finite elements.
  package func demeanedColumns(
    visiting visit: (Range<Int>, UnsafeBufferPointer<Double>) -> Void
  ) -> (matrix: Matrix, sumsFinite: Bool) {
    if layout == .rowMajor { return converted(to: .columnMajor).demeanedColumns(visiting: visit) }
    let t = rows
    var finite = true
    let x = Matrix(columnMajorRows: rows, columns: columns) { dst in
      elements.withUnsafeBufferPointer { src in
        var j = 0
        while j < columns {
          let width = min(4, columns - j)
          let sums = Self.columnSums(src, from: j, count: width, rows: t)
          for k in 0..<width {
            finite = finite && sums[k].isFinite
            Self.subtract(sums[k] / Double(t), src, dst, offset: (j + k) * t, count: t)
          }
          visit(j..<(j + width), UnsafeBufferPointer(rebasing: dst[(j * t)..<((j + width) * t)]))
          j += width
        }
      }
    }
    return (x, finite)
  }

  /// The sums of `count` (1 to 4) adjacent columns of a column-major buffer, each in row order:
  /// independent sums, interleaved so that they do not wait on each other.
  private static func columnSums(_ p: UnsafeBufferPointer<Double>, from j: Int, count: Int, rows t: Int) -> SIMD4<Double> {
    guard count == 4, let base = p.baseAddress else {
      var s = SIMD4<Double>()
      for k in 0..<count {
        for i in 0..<t { s[k] += p[i + (j + k) * t] }
      }
      return s
    }
    let a = base + j * t
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    for i in 0..<t {
      s0 += a[i]
      s1 += a[i + t]
      s2 += a[i + 2 * t]
      s3 += a[i + 3 * t]
    }
    return SIMD4(s0, s1, s2, s3)
  }

  /// `dst[k] = src[k] − m` for `k` in `offset..<offset + count` (`dst` may be uninitialized:
  /// `Double` is trivial).
  private static func subtract(
    _ m: Double, _ src: UnsafeBufferPointer<Double>, _ dst: UnsafeMutableBufferPointer<Double>, offset: Int, count: Int
  ) {
    guard count > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
    for k in offset..<(offset + count) { d[k] = s[k] - m }
  }

  /// `true` when every element is finite.
  public var isFinite: Bool { elements.allSatisfy(\.isFinite) }
}

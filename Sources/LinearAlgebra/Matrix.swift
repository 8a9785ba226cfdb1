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
  /// no zero fill before (a 500 × 2,520 returns matrix is 10 MB).
  public init(columnMajorRows rows: Int, columns: Int, initializingWith body: (UnsafeMutableBufferPointer<Double>) -> Void) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.layout = .columnMajor
    self.elements = [Double](unsafeUninitializedCapacity: rows * columns) { buffer, count in
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

  /// A column-major copy with each column's mean removed: `xᵢⱼ − x̄ⱼ`.
  public func demeanedColumns() -> Matrix {
    var x = converted(to: .columnMajor)
    let t = x.rows
    let columns = x.columns
    x.modifyElements { e in
      e.withUnsafeMutableBufferPointer { p in
        for j in 0..<columns {
          var s = 0.0
          for i in 0..<t { s += p[i + j * t] }
          let m = s / Double(t)
          for i in 0..<t { p[i + j * t] -= m }
        }
      }
    }
    return x
  }

  /// `true` when every element is finite.
  public var isFinite: Bool { elements.allSatisfy(\.isFinite) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Natural logarithm (C library `log`), kept in one place so the core needs no Foundation.
@usableFromInline func naturalLog(_ x: Double) -> Double { log(x) }

/// `e^x` (C library `exp`).
@usableFromInline func naturalExp(_ x: Double) -> Double { exp(x) }

/// `x` in scientific notation with two significant digits (`2.3e-12`), for
/// tiny figures in messages; locale-free, no Foundation.
func sci(_ x: Double) -> String {
  guard x != 0, x.isFinite else { return "\(x)" }
  var e = Int((naturalLog(abs(x)) / naturalLog(10)).rounded(.down))
  var scale = 1.0
  for _ in 0..<abs(e) { scale *= 10 }
  var m = e >= 0 ? x / scale : x * scale
  m = (m * 10).rounded() / 10
  if abs(m) >= 10 {
    m /= 10
    e += 1
  }
  let text = m == m.rounded() ? String(Int(m)) : "\(m)"
  return "\(text)e\(e)"
}

/// Complementary error function (C library `erfc`): `erfc(x) = 1 − erf(x)`, accurate in both tails.
@usableFromInline func complementaryErrorFunction(_ x: Double) -> Double { erfc(x) }

/// `a + b`, held at `Int.max` / `Int.min` instead of trapping on overflow (counts from user input).
func saturatingSum(_ a: Int, _ b: Int) -> Int {
  let (s, o) = a.addingReportingOverflow(b)
  return o ? (b > 0 ? .max : .min) : s
}

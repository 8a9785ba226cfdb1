#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Natural logarithm (C library `log`), kept in one place so the core needs no Foundation.
@usableFromInline func naturalLog(_ x: Double) -> Double { log(x) }

// libFuzzer entry point for advisor's parsers (`make fuzz`, docs/FUZZING.md).
// Built only with ADVISOR_FUZZ=1 (Package.swift) and -sanitize=fuzzer; the target is chosen by
// the environment variable ADVISOR_FUZZ_TARGET (one of ParserEntryPoints.all's names).
import Foundation
import RiskIO

#if canImport(Glibc)
  import Glibc
#endif

nonisolated(unsafe) var selected: ParserEntryPoints.Target? = nil

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
  let name = ProcessInfo.processInfo.environment["ADVISOR_FUZZ_TARGET"] ?? ""
  guard let t = ParserEntryPoints.target(named: name) else {
    let names = ParserEntryPoints.all.map(\.name).joined(separator: ", ")
    FileHandle.standardError.write(Data("set ADVISOR_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(2)
  }
  selected = t
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let selected else { return 0 }
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  selected.run(bytes)
  return 0
}

// SwiftPM links an executable target's entry point as `<Target>_main` (and defines `main` as
// it): hand control to libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("AdvisorFuzz_main")
public func advisorFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  var count = argc
  var vector = argv
  _ = fuzzerInitialize(&count, &vector)
  return runFuzzerDriver(&count, &vector) { data, size in fuzzerTestOneInput(data, size) }
}

import AdvisorRecording
import Testing

/// The journal's timestamps (`startedAt`, `finishedAt`, the server's log lines): ISO 8601 UTC
/// with milliseconds. Expected values from Python 3.11's `datetime.fromtimestamp(s, timezone.utc)`
/// with `strftime('%Y-%m-%dT%H:%M:%S')` and the milliseconds as `.%03d` and `Z`.
@Suite("Journal timestamps")
struct TimestampTests {
  @Test(
    "utcTimestamp writes ISO 8601 UTC with milliseconds",
    arguments: [
      (0, 0, "1970-01-01T00:00:00.000Z"), (951_782_400, 7, "2000-02-29T00:00:00.007Z"),
      (1_733_227_200, 123, "2024-12-03T12:00:00.123Z"), (1_764_763_199, 999, "2025-12-03T11:59:59.999Z"),
      (4_102_444_800, 50, "2100-01-01T00:00:00.050Z"),
    ])
  func iso8601(_ seconds: Int, _ milliseconds: Int, _ expected: String) {
    #expect(utcTimestamp(seconds: seconds, milliseconds: milliseconds) == expected)
  }

  @Test("the clock's timestamp has the same shape")
  func now() {
    let t = utcTimestamp()
    #expect(t.count == 24 && t.hasSuffix("Z") && t.contains("T"))
  }
}

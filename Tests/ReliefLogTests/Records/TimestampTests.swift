import Foundation
import TestSupport
import Testing

@testable import ReliefLog

@Suite("RFC 3339 timestamps as epoch milliseconds")
struct TimestampTests {
    @Test(
        "accepts any offset, Z, lowercase t and z, and 1 to 9 fraction digits",
        arguments: [
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T01:00:00+01:00", 0),
            ("1969-12-31T19:00:00-05:00", 0),
            ("1970-01-01T00:00:00-00:00", 0),
            ("1969-12-31T23:59:59.999Z", -1),
            ("2000-02-29T12:00:00Z", 951_825_600_000),
            ("2026-11-20T08:15:00+01:00", 1_795_158_900_000),
            ("2026-11-20T07:15:00Z", 1_795_158_900_000),
            ("2026-11-20t07:15:00z", 1_795_158_900_000),
            ("2026-11-21T05:15:00+22:00", 1_795_158_900_000),
            ("2026-11-20T07:15:00.5Z", 1_795_158_900_500),
            ("2026-11-20T07:15:00.05Z", 1_795_158_900_050),
            ("2026-11-20T07:15:00.123456789Z", 1_795_158_900_123),
            ("2026-11-20T12:45:00.1+05:30", 1_795_158_900_100),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ] as [(String, Int64)])
    func valid(text: String, expected: Int64) {
        #expect(Timestamp.parse(text) == expected)
    }

    @Test(
        "refuses leap seconds, impossible dates and times, a missing offset and other shapes",
        arguments: [
            "2026-11-20T07:15:60Z",  // leap second
            "2016-12-31T23:59:60Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-02-29T00:00:00Z",  // not a leap year
            "1900-02-29T00:00:00Z",  // century, not a leap year
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T07:60:00Z",
            "2026-11-20T07:15:00",  // no offset
            "2026-11-20T07:15:00+01",
            "2026-11-20T07:15:00+0100",
            "2026-11-20T07:15:00+01:60",
            "2026-11-20T07:15:00+24:00",
            "2026-11-20 07:15:00Z",
            "2026-11-20T07:15Z",
            "2026-11-20T07:15:00.Z",
            "2026-11-20T07:15:00.1234567890Z",
            "2026-11-20T07:15:00,5Z",
            "2026-11-20T07:15:00Z ",
            " 2026-11-20T07:15:00Z",
            "2026-11-20",
            "26-11-20T07:15:00Z",
            "+2026-11-20T07:15:00Z",
            "2026-11-20T07:15:00UTC",
            "2026-11-20T07:15:00.5+01:00Z",
            "2026-11-20T07:15:0٠Z",  // an Arabic-Indic digit
            "0000-01-01T00:00:00+01:00",  // before year 0000 in UTC
            "",
        ])
    func invalid(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test(
        "renders UTC with Z, and milliseconds only when they are not zero",
        arguments: [
            (0, "1970-01-01T00:00:00Z"),
            (1500, "1970-01-01T00:00:01.500Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_795_158_900_000, "2026-11-20T07:15:00Z"),
            (1_795_158_900_007, "2026-11-20T07:15:00.007Z"),
            (951_825_600_000, "2000-02-29T12:00:00Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        ] as [(Int64, String)])
    func format(instant: Int64, expected: String) {
        #expect(Timestamp.format(instant) == expected)
    }

    @Test("formatting agrees with Foundation and parses back, for seeded random instants")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SplitMix64(seed: 20_261_120)
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator)
            let text = Timestamp.format(milliseconds)
            #expect(Timestamp.parse(text) == milliseconds, "\(text)")
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let foundation = formatter.string(from: date)
            // Foundation always writes .sss; compare without it when the milliseconds are zero.
            let expected =
                milliseconds % 1000 == 0 ? foundation.replacingOccurrences(of: ".000Z", with: "Z") : foundation
            #expect(text == expected)
        }
    }

    @Test("list filters take a date as midnight UTC or a timestamp")
    func dateOrTimestamp() {
        #expect(Timestamp.parseDateOrTimestamp("2026-11-20") == 1_795_132_800_000)
        #expect(Timestamp.parseDateOrTimestamp("2026-11-20T00:00:00Z") == 1_795_132_800_000)
        #expect(Timestamp.parseDateOrTimestamp("2026-02-30") == nil)
        #expect(Timestamp.parseDateOrTimestamp("20261120") == nil)
        #expect(Timestamp.formatDate(1_795_158_900_000) == "2026-11-20")
        #expect(Timestamp.year(of: -1) == 1969)
    }
}

import Foundation
import TestSupport
import Testing

@testable import ReliefLog

/// The pure date helpers: local dates of instants, ISO weeks, months, rounding and slopes.
@Suite("Analytics: local calendar")
struct LocalCalendarTests {
    static func day(_ text: String) throws -> LocalDay { try #require(Days.parse(text)) }
    static func instant(_ text: String) throws -> Int64 { try #require(Timestamp.parse(text)) }

    @Test(
        "local dates agree with Foundation's Gregorian calendar, DST included",
        arguments: [
            "America/New_York", "Australia/Sydney", "Europe/Berlin", "Asia/Kolkata", "Pacific/Chatham",
            "America/Sao_Paulo", "Pacific/Kiritimati", "UTC",
        ])
    func agreesWithCalendar(_ identifier: String) throws {
        let zone = Zone.named(identifier)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: identifier))
        var random = SplitMix64(seed: 42)
        var mapper = zone.mapper()
        // Ascending instants over 1990–2040, in steps of up to ~2 days, plus both sides of every hour.
        var instant = try Self.instant("1990-01-01T00:00:00Z")
        let end = try Self.instant("2040-01-01T00:00:00Z")
        var checked = 0
        while instant < end {
            let components = calendar.dateComponents(
                [.year, .month, .day], from: Date(timeIntervalSince1970: Double(instant) / 1000))
            let expected = Timestamp.daysFromCivil(
                year: Int64(components.year ?? 0), month: Int64(components.month ?? 0), day: Int64(components.day ?? 0))
            #expect(mapper.day(instant) == expected, "\(identifier) \(Timestamp.format(instant))")
            #expect(zone.day(instant) == expected)
            checked += 1
            instant += Int64(random.next() % UInt64(2 * Timestamp.millisecondsPerDay))
        }
        #expect(checked > 10_000)
    }

    @Test("dates around the New York and Sydney DST changes")
    func dstEdges() throws {
        let newYork = Zone.named("America/New_York")
        let sydney = Zone.named("Australia/Sydney")
        let cases: [(Zone, String, String)] = [
            (newYork, "2026-03-08T06:59:59Z", "2026-03-08"),  // 01:59:59 EST
            (newYork, "2026-03-08T07:00:00Z", "2026-03-08"),  // 03:00 EDT
            (newYork, "2026-03-09T03:59:59Z", "2026-03-08"),  // 23:59:59 EDT: the day had 23 hours
            (newYork, "2026-03-09T04:00:00Z", "2026-03-09"),
            (newYork, "2026-11-01T05:30:00Z", "2026-11-01"),  // 01:30 EDT
            (newYork, "2026-11-01T06:30:00Z", "2026-11-01"),  // 01:30 EST, again
            (newYork, "2026-11-02T04:59:59Z", "2026-11-01"),  // 23:59:59 EST: 25 hours
            (newYork, "2026-11-02T05:00:00Z", "2026-11-02"),
            (sydney, "2026-04-04T13:00:00Z", "2026-04-05"),  // 00:00 AEDT
            (sydney, "2026-04-05T13:59:59Z", "2026-04-05"),  // 23:59:59 AEST
            (sydney, "2026-04-05T14:00:00Z", "2026-04-06"),
            (sydney, "2026-10-03T14:00:00Z", "2026-10-04"),  // 00:00 AEST
            (sydney, "2026-10-04T12:59:59Z", "2026-10-04"),  // 23:59:59 AEDT: 23 hours
            (sydney, "2026-10-04T13:00:00Z", "2026-10-05"),
        ]
        for (zone, instant, date) in cases {
            #expect(Days.format(zone.day(try Self.instant(instant))) == date, "\(zone.identifier) \(instant)")
            var mapper = zone.mapper()
            #expect(Days.format(mapper.day(try Self.instant(instant))) == date)
        }
    }

    @Test(
        "the start of a local day is Foundation's startOfDay, also where midnight is skipped",
        arguments: [
            "America/New_York", "Australia/Sydney", "America/Havana", "America/Santiago", "Asia/Tehran", "UTC",
        ])
    func startOfDay(_ identifier: String) throws {
        let zone = Zone.named(identifier)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: identifier))
        var random = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let day = try Self.day("2000-01-01") + Int64(random.next() % 12_000)
            let (year, month, dayOfMonth) = Timestamp.civilFromDays(day)
            let components = DateComponents(year: Int(year), month: Int(month), day: Int(dayOfMonth), hour: 12)
            let noon = try #require(calendar.date(from: components))
            let expected = Int64((calendar.startOfDay(for: noon).timeIntervalSince1970 * 1000).rounded())
            #expect(zone.start(of: day) == expected, "\(identifier) \(Days.format(day))")
        }
        // Havana skips 00:00–01:00 when DST starts (2026-03-08): the day starts at 01:00 CDT.
        if identifier == "America/Havana" {
            #expect(Timestamp.format(zone.start(of: try Self.day("2026-03-08"))) == "2026-03-08T05:00:00Z")
        }
    }

    @Test("ISO weeks start on Monday; months add across years")
    func buckets() throws {
        #expect(Days.format(Days.weekStart(try Self.day("2026-03-08"))) == "2026-03-02")  // Sunday
        #expect(Days.format(Days.weekStart(try Self.day("2026-03-09"))) == "2026-03-09")  // Monday
        #expect(Days.format(Days.weekStart(try Self.day("1970-01-01"))) == "1969-12-29")
        #expect(Days.format(Days.weekStart(try Self.day("1969-12-28"))) == "1969-12-22")
        #expect(Days.format(Days.monthStart(try Self.day("2024-02-29"))) == "2024-02-01")
        #expect(Days.format(Days.addMonths(try Self.day("2026-03-01"), -11)) == "2025-04-01")
        #expect(Days.format(Days.addMonths(try Self.day("2025-12-01"), 1)) == "2026-01-01")
        let window = DayWindow(from: try Self.day("2026-01-15"), to: try Self.day("2026-03-02"))
        #expect(TrendBucket.month.count(window) == 3)
        #expect(
            TrendBucket.month.buckets(window).map { Days.format($0.from) } == [
                "2026-01-15", "2026-02-01", "2026-03-01",
            ])
        #expect(TrendBucket.week.count(window) == Int64(TrendBucket.week.buckets(window).count))
        #expect(TrendBucket.day.count(window) == 46)
    }

    @Test("rounding is half away from zero at 2 decimals; slopes by least squares")
    func numbers() {
        #expect(round2(2.0 / 3) == 0.67)
        #expect(round2(-2.0 / 3) == -0.67)
        #expect(round2(0.125) == 0.13)
        #expect(round2(-0.125) == -0.13)
        #expect(round2(1.005 * 1) == (1.005 * 100).rounded(.toNearestOrAwayFromZero) / 100)
        #expect(leastSquaresSlope([]) == nil)
        #expect(leastSquaresSlope([(0, 5)]) == nil)
        #expect(leastSquaresSlope([(0, 0), (1, 2), (2, 1)]) == 0.5)
        #expect(leastSquaresSlope([(0, 6), (2, 4)]) == -1)
    }
}

import Foundation
import Synchronization
import ThreadSupport

/// A calendar date as a count of days since 1970-01-01 (proleptic Gregorian), whatever the
/// time zone: the analytics count calendar days, never 24-hour blocks, so once an instant is
/// mapped to the date its wall clock shows, dates are plain integers.
typealias LocalDay = Int64

/// Calendar arithmetic on `LocalDay`s.
enum Days {
    /// `YYYY-MM-DD`.
    static func format(_ day: LocalDay) -> String {
        Timestamp.formatDate(day * Timestamp.millisecondsPerDay)
    }

    /// A `YYYY-MM-DD` date, or `nil`.
    static func parse(_ text: String) -> LocalDay? {
        Timestamp.parseDate(text).map { $0 / Timestamp.millisecondsPerDay }
    }

    /// The UTC date of an instant.
    static func utc(_ instant: Int64) -> LocalDay {
        floorDivide(instant, Timestamp.millisecondsPerDay)
    }

    /// The Monday starting the ISO week of `day` (1970-01-01 was a Thursday).
    static func weekStart(_ day: LocalDay) -> LocalDay {
        day - floorModulo(day + 3, 7)
    }

    /// The first day of the calendar month of `day`.
    static func monthStart(_ day: LocalDay) -> LocalDay {
        let (year, month, _) = Timestamp.civilFromDays(day)
        return Timestamp.daysFromCivil(year: year, month: month, day: 1)
    }

    /// The first day of the month `months` after the month of `day` (which should be a month start).
    static func addMonths(_ day: LocalDay, _ months: Int64) -> LocalDay {
        let (year, month, _) = Timestamp.civilFromDays(day)
        let index = year * 12 + (month - 1) + months
        return Timestamp.daysFromCivil(year: floorDivide(index, 12), month: floorModulo(index, 12) + 1, day: 1)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }
}

/// A patient's time zone: maps instants to the local calendar date their wall clock shows.
///
/// Foundation's `TimeZone` gives the UTC offset in force at an instant; the date is then
/// `floor((instant + offset) / day)`, which is exactly what `Calendar(identifier: .gregorian)`
/// with this zone reports (the tests cross-check it), only much cheaper. The offset and the
/// interval it holds for (up to the next transition) are memoised, because lookups come in
/// runs of nearby instants and the 304 path asks for "today" on every poll.
final class Zone: Sendable {
    let identifier: String
    let timeZone: TimeZone

    /// An interval of instants with one UTC offset.
    private struct Span {
        var start: Int64
        var end: Int64
        var offsetMs: Int64
    }

    private let recent = Locked<Span?>(nil)

    init(_ timeZone: TimeZone) {
        self.identifier = timeZone.identifier
        self.timeZone = timeZone
    }

    /// The local date of `instant` (epoch milliseconds).
    func day(_ instant: Int64) -> LocalDay {
        Days.floorDivide(instant + offset(instant), Timestamp.millisecondsPerDay)
    }

    /// The UTC offset in milliseconds in force at `instant`.
    func offset(_ instant: Int64) -> Int64 {
        if let span = recent.withLock({ $0 }), instant >= span.start, instant < span.end { return span.offsetMs }
        let span = lookup(instant)
        recent.withLock { $0 = span }
        return span.offsetMs
    }

    private func lookup(_ instant: Int64) -> Span {
        let date = Date(timeIntervalSince1970: Double(instant) / 1000)
        let offsetMs = Int64(timeZone.secondsFromGMT(for: date)) * 1000
        // Valid from this instant up to the next transition (or a year on, for zones without
        // one, to bound the trust in a single lookup).
        var end = instant + 366 * Timestamp.millisecondsPerDay
        if let next = timeZone.nextDaylightSavingTimeTransition(after: date) {
            end = min(end, Int64((next.timeIntervalSince1970 * 1000).rounded(.down)))
        }
        return Span(start: instant, end: max(end, instant + 1), offsetMs: offsetMs)
    }

    /// The first instant whose local date is `day` or later: the start of that local day
    /// (not always midnight: some zones skip midnight when the clocks change). Offsets stay
    /// within ±18 h, so the answer lies within a day of UTC midnight; found by bisection.
    func start(of day: LocalDay) -> Int64 {
        var mapper = mapper()
        var low = day * Timestamp.millisecondsPerDay - Timestamp.millisecondsPerDay
        var high = day * Timestamp.millisecondsPerDay + Timestamp.millisecondsPerDay
        while low < high {
            let middle = low + (high - low) / 2
            if mapper.day(middle) >= day { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// A per-computation view with its own memo (no lock per row).
    func mapper() -> DayMapper { DayMapper(zone: self) }

    // MARK: Shared instances

    private static let cache = Locked<[String: Zone]>([:])

    /// The zone named `identifier`, cached for the life of the process; UTC for a name
    /// Foundation does not know (validation refuses those when a patient is written).
    static func named(_ identifier: String) -> Zone {
        if let zone = cache.withLock({ $0[identifier] }) { return zone }
        let zone = Zone(TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC") ?? .gmt)
        return cache.withLock { zones in
            // A handful of distinct zones in practice; bounded anyway against odd data.
            if zones.count > 1000 { zones.removeAll() }
            if let existing = zones[identifier] { return existing }
            zones[identifier] = zone
            return zone
        }
    }

    static let utc = Zone.named("UTC")
}

/// Maps many instants of one zone to local dates during one computation, remembering the
/// offset span of the previous instant.
struct DayMapper {
    let zone: Zone
    private var start: Int64 = 1
    private var end: Int64 = 0
    private var offsetMs: Int64 = 0

    init(zone: Zone) { self.zone = zone }

    mutating func day(_ instant: Int64) -> LocalDay {
        if instant < start || instant >= end {
            let date = Date(timeIntervalSince1970: Double(instant) / 1000)
            offsetMs = Int64(zone.timeZone.secondsFromGMT(for: date)) * 1000
            start = instant
            end = instant + 366 * Timestamp.millisecondsPerDay
            if let next = zone.timeZone.nextDaylightSavingTimeTransition(after: date) {
                end = max(instant + 1, min(end, Int64((next.timeIntervalSince1970 * 1000).rounded(.down))))
            }
        }
        return Days.floorDivide(instant + offsetMs, Timestamp.millisecondsPerDay)
    }
}

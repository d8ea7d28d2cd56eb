/// RFC 3339 timestamps as the contract uses them (API.md "Conventions"): requests carry any
/// offset, the server keeps the instant as integer milliseconds since 1970-01-01T00:00:00Z, and
/// responses render UTC with `Z`.
///
/// Written by hand on bytes rather than with Foundation's formatters: it is on the path of
/// every record read and write, and the grammar is small and exact.
enum Timestamp {
    /// The earliest instant accepted and rendered: 0000-01-01T00:00:00Z.
    static let minimum: Int64 = -62_167_219_200_000
    /// The latest instant accepted and rendered: 9999-12-31T23:59:59.999Z.
    static let maximum: Int64 = 253_402_300_799_999

    static let millisecondsPerDay: Int64 = 86_400_000

    /// Parses an RFC 3339 `date-time` (§5.6) into epoch milliseconds, or `nil`.
    ///
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: the offset is required; the fraction has
    /// 1 to 9 digits and is truncated to milliseconds; `T` and `Z` may be lowercase (the note
    /// in §5.6 allows it). A leap second (`:60`) is refused: the service cannot store it as an
    /// instant and diaries never need one. Days are checked against the month (and leap
    /// years), and the resulting instant must lie within years 0000–9999 in UTC.
    static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes s: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Shortest form: 2026-11-20T08:15:00Z (20 bytes). Longest: 9 fraction digits and an offset.
        guard s.count >= 20, s.count <= 35 else { return nil }
        guard let year = digits(s, 0, 4), s[4] == dash,
            let month = digits(s, 5, 2), s[7] == dash,
            let day = digits(s, 8, 2), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: "t"),
            let hour = digits(s, 11, 2), s[13] == colon,
            let minute = digits(s, 14, 2), s[16] == colon,
            let second = digits(s, 17, 2)
        else { return nil }
        guard month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var i = 19
        var milliseconds: Int64 = 0
        if s[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < s.count, let digit = digit(s[i]) {
                if i - start < 3 { milliseconds = milliseconds * 10 + Int64(digit) }
                i += 1
            }
            let count = i - start
            guard count >= 1, count <= 9 else { return nil }
            if count < 3 {
                for _ in count..<3 { milliseconds *= 10 }
            }
        }
        guard i < s.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch s[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard s.count - i == 6, let offsetHour = digits(s, i + 1, 2), s[i + 3] == colon,
                let offsetMinute = digits(s, i + 4, 2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (s[i] == dash ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == s.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let instant = seconds * 1000 + milliseconds
        guard instant >= minimum, instant <= maximum else { return nil }
        return instant
    }

    /// Parses a full date `YYYY-MM-DD` (RFC 3339 `full-date`) as midnight UTC, or `nil`.
    static func parseDate(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { s -> Int64? in
            guard s.count == 10, let year = digits(s, 0, 4), s[4] == dash, let month = digits(s, 5, 2),
                s[7] == dash, let day = digits(s, 8, 2),
                month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year)
            else { return nil }
            return daysFromCivil(year: year, month: month, day: day) * millisecondsPerDay
        }
    }

    /// A list filter bound (API.md "Lists, paging, filters"): a date (midnight UTC) or a timestamp.
    static func parseDateOrTimestamp(_ text: String) -> Int64? {
        text.utf8.count == 10 ? parseDate(text) : parse(text)
    }

    /// Renders UTC: `2026-11-20T07:15:00Z`, with `.sss` only when the milliseconds are not zero.
    /// Instants outside years 0000–9999 are clamped to that range (they cannot be stored).
    static func format(_ instant: Int64) -> String {
        let instant = min(max(instant, minimum), maximum)
        let (days, msOfDay) = floorDivide(instant, millisecondsPerDay)
        let (year, month, day) = civilFromDays(days)
        let secondOfDay = msOfDay / 1000
        let milliseconds = msOfDay % 1000
        let count = milliseconds == 0 ? 20 : 24
        return String(unsafeUninitializedCapacity: count) { buffer in
            func put(_ value: Int64, _ width: Int, at offset: Int) {
                var value = value
                for k in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[k] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = dash
            put(month, 2, at: 5)
            buffer[7] = dash
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, 2, at: 11)
            buffer[13] = colon
            put(secondOfDay / 60 % 60, 2, at: 14)
            buffer[16] = colon
            put(secondOfDay % 60, 2, at: 17)
            if milliseconds != 0 {
                buffer[19] = UInt8(ascii: ".")
                put(milliseconds, 3, at: 20)
            }
            buffer[count - 1] = UInt8(ascii: "Z")
            return count
        }
    }

    /// The UTC calendar date of an instant, `YYYY-MM-DD`.
    /// `format`, always with three fraction digits (log lines of one width).
    static func formatWithMilliseconds(_ instant: Int64) -> String {
        let text = format(instant)
        return text.utf8.count == 20 ? text.dropLast() + ".000Z" : text
    }

    static func formatDate(_ instant: Int64) -> String {
        String(format(instant).prefix(10))
    }

    /// The Gregorian year (UTC) of an instant, for "not after the current year" rules.
    static func year(of instant: Int64) -> Int {
        Int(civilFromDays(floorDivide(instant, millisecondsPerDay).quotient).year)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian)

    /// Days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysFromCivil`.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    // MARK: Bytes

    private static let dash = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")

    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    private static func digits(_ s: UnsafeBufferPointer<UInt8>, _ offset: Int, _ count: Int) -> Int64? {
        guard offset + count <= s.count else { return nil }
        var value: Int64 = 0
        for k in offset..<offset + count {
            guard let d = digit(s[k]) else { return nil }
            value = value * 10 + d
        }
        return value
    }
}

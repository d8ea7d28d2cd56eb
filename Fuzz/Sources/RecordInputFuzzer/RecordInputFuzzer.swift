import Foundation
import JSON

// libFuzzer entry point for the service's small decoders of untrusted text: RFC 3339
// timestamps (and the date-or-timestamp of list filters), paging cursors, base64url, and whole
// record bodies through the validation every create runs.
//
// The first byte picks the decoder; the rest is its input. Each decoder must refuse or accept
// without crashing, and what it accepts must round-trip through the matching encoder. An
// accepted timestamp must also denote the instant Foundation's ISO 8601 parser reads from the
// same text, wherever that parser reads it; and any instant in range, formatted, must parse back
// to itself.
@testable import ReliefLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let selector = start[0]
    let bytes = UnsafeBufferPointer(start: start + 1, count: count - 1)
    let text = String(decoding: bytes, as: UTF8.self)
    switch selector % 6 {
    case 0: timestamp(text)
    case 1: dateOrTimestamp(text)
    case 2: cursor(text)
    case 3: base64URL(text)
    case 4: recordBody(bytes)
    default: instant(bytes)
    }
    return 0
}

/// An accepted timestamp formats to one the parser reads back as the same instant, and agrees
/// with Foundation's parser.
private func timestamp(_ text: String) {
    guard let instant = Timestamp.parse(text) else { return }
    let formatted = Timestamp.format(instant)
    precondition(Timestamp.parse(formatted) == instant, "a formatted timestamp parsed to another instant")
    differential(text, instant)
}

/// Foundation's ISO 8601 parser, with and without fractional seconds (one formatter takes only
/// one of the two forms). Single-threaded use only, as libFuzzer runs inputs.
nonisolated(unsafe) private let iso8601: (plain: ISO8601DateFormatter, fraction: ISO8601DateFormatter) = {
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    let fraction = ISO8601DateFormatter()
    fraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return (plain, fraction)
}()

/// Where Foundation reads the text, it must read the same instant (to the millisecond, which the
/// service truncates to). Foundation's calendar switches to the Julian calendar before October
/// 1582, so only later years are compared; it may refuse forms RFC 3339 allows (a lowercase `t`
/// or `z`, more fraction digits), which are not compared either.
private func differential(_ text: String, _ instant: Int64) {
    guard Timestamp.year(of: instant) >= 1600 else { return }
    guard let date = iso8601.plain.date(from: text) ?? iso8601.fraction.date(from: text) else { return }
    let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
    precondition(
        abs(milliseconds - Double(instant)) <= 1,
        "Foundation reads \(text) as \(milliseconds) ms, the service as \(instant)")
}

/// Any instant in the service's range (years 0000–9999), formatted, parses back to itself.
private func instant(_ bytes: UnsafeBufferPointer<UInt8>) {
    var raw: UInt64 = 0
    for byte in bytes.prefix(8) { raw = raw << 8 | UInt64(byte) }
    let span = UInt64(Timestamp.maximum - Timestamp.minimum + 1)
    let instant = Timestamp.minimum + Int64(raw % span)
    let text = Timestamp.format(instant)
    precondition(Timestamp.parse(text) == instant, "\(instant) formatted as \(text) parses to another instant")
    precondition(
        Timestamp.parseDate(Timestamp.formatDate(instant)) == instant - ((instant % 86_400_000) + 86_400_000)
            % 86_400_000,
        "the date of \(instant) is not its UTC midnight")
    differential(text, instant)
}

private func dateOrTimestamp(_ text: String) {
    guard let instant = Timestamp.parseDateOrTimestamp(text) else { return }
    precondition(Timestamp.parseDateOrTimestamp(Timestamp.format(instant)) == instant, "date-or-timestamp round trip")
}

/// An accepted cursor is canonical: encoding its key again gives the same text.
private func cursor(_ text: String) {
    for (list, parts) in [("episodes", 2), ("patients", 1)] {
        guard let key = Cursor.decode(text, list: list, count: parts) else { continue }
        precondition(key.count == parts, "a cursor decoded to the wrong number of parts")
        precondition(Cursor.encode(list: list, key: key) == text, "a cursor is not canonical")
    }
}

private func base64URL(_ text: String) {
    guard let bytes = Base64URL.decode(text) else { return }
    precondition(Base64URL.encode(bytes) == text, "base64url decoding accepted a non-canonical form")
}

/// Any JSON object through every record's create validation: refused with failures that name
/// members of the body, or accepted as fields that render back to an object validation accepts.
private func recordBody(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard case .object(let body)? = try? JSON.parse(bytes, maxDepth: 16) else { return }
    check(Patient.Fields.self, body)
    check(Therapist.Fields.self, body)
    check(Episode.Fields.self, body)
    check(MassageSession.Fields.self, body)
}

private let now: Int64 = 1_795_000_000_000

private func check<F: RecordFields>(_: F.Type, _ body: JSONObject) {
    do {
        let fields = try F(validating: body, now: now)
        let again = try F(validating: fields.json, now: now)
        precondition(again == fields, "rendered fields did not validate to the same fields")
    } catch {
        precondition(!error.failures.isEmpty, "a validation error without failures")
        for failure in error.failures {
            // On bytes: `hasPrefix("/")` compares characters, and "/" before a combining mark
            // (a member named "\u{345}x") is another character.
            precondition(failure.field.utf8.first == UInt8(ascii: "/"), "a failure outside the body: \(failure.field)")
        }
    }
}

import JSON

// libFuzzer entry point for the service's small decoders of untrusted text: RFC 3339
// timestamps (and the date-or-timestamp of list filters), paging cursors, base64url, and whole
// record bodies through the validation every create runs.
//
// The first byte picks the decoder; the rest is its input. Each decoder must refuse or accept
// without crashing, and what it accepts must round-trip through the matching encoder.
@testable import ReliefLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let selector = start[0]
    let bytes = UnsafeBufferPointer(start: start + 1, count: count - 1)
    let text = String(decoding: bytes, as: UTF8.self)
    switch selector % 5 {
    case 0: timestamp(text)
    case 1: dateOrTimestamp(text)
    case 2: cursor(text)
    case 3: base64URL(text)
    default: recordBody(bytes)
    }
    return 0
}

/// An accepted timestamp formats to one the parser reads back as the same instant.
private func timestamp(_ text: String) {
    guard let instant = Timestamp.parse(text) else { return }
    let formatted = Timestamp.format(instant)
    precondition(Timestamp.parse(formatted) == instant, "a formatted timestamp parsed to another instant")
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
            precondition(failure.field.hasPrefix("/"), "a failure outside the body: \(failure.field)")
        }
    }
}

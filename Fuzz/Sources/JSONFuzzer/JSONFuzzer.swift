// libFuzzer entry point for the JSON parser and serializer.
//
// Every input is parsed with a small nesting limit. What is accepted must serialize, parse
// back to the same value, and serialize to the same bytes again (the serializer's output is
// canonical); what is refused must be refused with an error, never a crash, a hang or memory
// growth past the input's size. Parsed with `duplicateMemberNames: .lastWins`, the same holds,
// and wherever strict parsing accepts, both read the same value.
import JSON

/// Deep enough for any document the service accepts, shallow enough to reach the limit.
private let maxDepth = 32

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start, count: count)
    let lenient = try? JSON.parse(input, maxDepth: maxDepth, duplicateMemberNames: .lastWins)
    if let lenient {
        // Last value wins, so the serialized form names each member once: strict parsing reads it.
        guard let again = try? JSON.parse(JSON.serialize(lenient), maxDepth: maxDepth) else {
            preconditionFailure("the serialized form of a .lastWins document has a repeated name")
        }
        precondition(sameValue(lenient, again), ".lastWins: parse → serialize → parse changed the value")
    }
    guard let value = try? JSON.parse(input, maxDepth: maxDepth) else { return 0 }
    precondition(lenient.map { sameValue(value, $0) } ?? false, "strict and .lastWins parsing disagree")
    let serialized = JSON.serialize(value)
    guard let again = try? JSON.parse(serialized, maxDepth: maxDepth) else {
        preconditionFailure("the serializer wrote JSON its own parser refuses")
    }
    precondition(sameValue(value, again), "parse → serialize → parse changed the value")
    precondition(JSON.serialize(again) == serialized, "serializing twice gave different bytes")
    return 0
}

/// Structural equality, with numbers compared by what they denote (an integer literal stays an
/// integer; a double keeps its bits, so -0.0 and 0.0 differ and nothing is NaN).
private func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for ((keyA, valueA), (keyB, valueB)) in zip(x, y) {
            guard keyA == keyB, sameValue(valueA, valueB) else { return false }
        }
        return true
    default: return false
    }
}

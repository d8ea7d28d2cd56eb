/// Writes compact JSON text value by value, without building a `JSONValue` first: for bodies
/// rendered straight from stored columns, where the tree would be built only to be walked once.
///
/// The output is byte for byte what `JSON.serialize` writes for the equivalent `JSONValue`
/// (same escaping, same integer and double forms). The writer places the commas; the caller is
/// responsible for the structure (a key before each object member, balanced begin and end).
///
/// ```swift
/// var writer = JSONTextWriter()
/// writer.beginObject()
/// writer.key("id"); writer.integer(7)
/// writer.key("tags"); writer.beginArray(); writer.string("a"); writer.endArray()
/// writer.endObject()
/// let bytes = writer.finish()  // {"id":7,"tags":["a"]}
/// ```
public struct JSONTextWriter: ~Copyable {
    private var sink: ByteSink
    /// Whether the next value or key follows a sibling and needs a comma first.
    private var needsComma = false

    public init(capacity: Int = 512) {
        sink = ByteSink(capacity: capacity)
    }

    public mutating func beginObject() {
        separate()
        sink.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        sink.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        sink.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        sink.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object member's name; the member's value must follow.
    public mutating func key(_ name: String) {
        separate()
        JSONSerializer.write(name, into: &sink)
        sink.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONSerializer.write(value, into: &sink)
        needsComma = true
    }

    /// A string given as stored bytes. Bytes that are not valid UTF-8 are replaced with U+FFFD,
    /// as `String(decoding:as:)` does, so the text is the same as for the decoded `String`.
    public mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        separate()
        if Self.isASCII(bytes) {
            JSONSerializer.writeString(bytes, into: &sink)
        } else {
            JSONSerializer.write(String(decoding: bytes, as: UTF8.self), into: &sink)
        }
        needsComma = true
    }

    public mutating func integer(_ value: Int64) {
        separate()
        JSONSerializer.write(.integer(value), into: &sink)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        sink.append(value ? "true" : "false")
        needsComma = true
    }

    public mutating func null() {
        separate()
        sink.append("null")
        needsComma = true
    }

    /// Any value, serialized as `JSON.serialize` would.
    public mutating func value(_ value: JSONValue) {
        separate()
        JSONSerializer.write(value, into: &sink)
        needsComma = true
    }

    /// The text written so far; ends the writer.
    public consuming func finish() -> [UInt8] {
        sink.withBytes { Array($0) }
    }

    /// Appends the text written so far to `buffer`; ends the writer.
    public consuming func finish(appendingTo buffer: inout [UInt8]) {
        sink.withBytes { buffer.append(contentsOf: $0) }
    }

    @inline(__always)
    private mutating func separate() {
        if needsComma { sink.append(UInt8(ascii: ",")) }
    }

    /// Whether every byte is below 0x80, eight at a time.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while count - index >= 8 {
            if UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                return false
            }
            index += 8
        }
        while index < count {
            if base[index] >= 0x80 { return false }
            index += 1
        }
        return true
    }
}

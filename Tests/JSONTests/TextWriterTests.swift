import JSON
import TestSupport
import Testing

@Suite("Writing JSON text value by value")
struct TextWriterTests {
    /// Writes `value` through the writer's calls, as a renderer of stored rows does; strings as
    /// raw UTF-8 bytes on every other level, to cover both string entries.
    private func write(_ value: JSONValue, _ writer: inout JSONTextWriter, bytes: Bool) {
        switch value {
        case .null: writer.null()
        case .bool(let flag): writer.bool(flag)
        case .number(.integer(let number)): writer.integer(number)
        case .number: writer.value(value)
        case .string(let string):
            if bytes {
                Array(string.utf8).withUnsafeBufferPointer { writer.string(utf8: $0) }
            } else {
                writer.string(string)
            }
        case .array(let elements):
            writer.beginArray()
            for element in elements { write(element, &writer, bytes: !bytes) }
            writer.endArray()
        case .object(let object):
            writer.beginObject()
            for (key, member) in object {
                writer.key(key)
                write(member, &writer, bytes: !bytes)
            }
            writer.endObject()
        }
    }

    @Test("500 seeded random values are written exactly as serialize writes them")
    func sameAsSerialize() {
        var rng = SplitMix64(seed: 0x5EED_0F_7E57)
        for iteration in 0..<500 {
            let value = RandomJSON.value(depth: 0, using: &rng)
            var writer = JSONTextWriter(capacity: 16)
            write(value, &writer, bytes: iteration % 2 == 0)
            #expect(writer.finish() == JSON.serialize(value), "iteration \(iteration): \(JSON.string(value))")
        }
    }

    @Test(
        "stored bytes that are not valid UTF-8 are written as their decoded String is",
        arguments: [[0x41, 0xFF, 0x42], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0x22, 0x80, 0x5C, 0x0A]]
            as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) throws {
        var writer = JSONTextWriter()
        writer.beginArray()
        bytes.withUnsafeBufferPointer { writer.string(utf8: $0) }
        writer.endArray()
        let written = writer.finish()
        let decoded = String(decoding: bytes, as: UTF8.self)
        #expect(written == JSON.serialize([.string(decoded)]))
        #expect(decoded.contains("\u{FFFD}"))
        #expect(try JSON.parse(written) == [.string(decoded)])
    }

    @Test("commas separate members and elements, never after an opening bracket")
    func commas() {
        var writer = JSONTextWriter()
        writer.beginObject()
        writer.key("a")
        writer.beginArray()
        writer.endArray()
        writer.key("b")
        writer.beginArray()
        writer.integer(1)
        writer.beginObject()
        writer.endObject()
        writer.null()
        writer.endArray()
        writer.key("c")
        writer.bool(false)
        writer.endObject()
        #expect(String(decoding: writer.finish(), as: UTF8.self) == #"{"a":[],"b":[1,{},null],"c":false}"#)
    }
}

import JSON
import Testing

@Suite("JSONObject")
struct JSONObjectTests {
    @Test("keeps insertion order through appends and subscripts")
    func insertionOrder() {
        var object = JSONObject()
        object.append("zeta", 1)
        object["alpha"] = 2
        object.append("mid", 3)
        #expect(object.keys == ["zeta", "alpha", "mid"])
        #expect(object.map(\.key) == ["zeta", "alpha", "mid"])
        #expect(object.map(\.value) == [1, 2, 3])
        #expect(compact(.object(object)) == #"{"zeta":1,"alpha":2,"mid":3}"#)
    }

    @Test("replacing a value keeps its position")
    func replaceInPlace() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["b"] == "two")
        #expect(object.count == 3)
    }

    @Test("setting nil removes the member and keeps the others in order")
    func setNilRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["b"] == nil)
        #expect(object.count == 2)
        object["missing"] = nil
        #expect(object.count == 2)
        object["b"] = 4
        #expect(object.keys == ["a", "c", "b"])
    }

    @Test("a member set to JSON null is present, unlike a removed one")
    func nullMemberIsPresent() {
        var object = JSONObject()
        object["a"] = .null
        #expect(object["a"] == .null)
        #expect(object.count == 1)
        #expect(compact(.object(object)) == #"{"a":null}"#)
    }

    @Test("large objects look up, replace and remove correctly", arguments: [5, 16, 17, 40, 300])
    func largeObjects(size: Int) {
        var object = JSONObject()
        for i in 0..<size { object.append("key\(i)", .number(.integer(Int64(i)))) }
        #expect(object.count == size)
        for i in 0..<size { #expect(object["key\(i)"] == .number(.integer(Int64(i)))) }
        #expect(object["key\(size)"] == nil)
        object["key0"] = nil
        object["key\(size / 2)"] = "middle"
        #expect(object.count == size - 1)
        #expect(object["key0"] == nil)
        #expect(object["key1"] == 1)
        #expect(object["key\(size / 2)"] == "middle")
        #expect(object["key\(size - 1)"] == .number(.integer(Int64(size - 1))))
        #expect(object.keys == (1..<size).map { "key\($0)" })
        while let first = object.keys.first { object[first] = nil }
        #expect(object.isEmpty)
        object.append("again", true)
        #expect(object["again"] == true)
    }

    @Test("equality and hashing ignore member order")
    func unorderedEquality() {
        let a: JSONObject = ["x": 1, "y": [2, 3], "z": ["n": nil]]
        let b: JSONObject = ["z": ["n": nil], "x": 1, "y": [2, 3]]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1, "y": [3, 2], "z": ["n": nil]])
        #expect(a != ["x": 1, "y": [2, 3]])
        #expect(a != ["x": 1, "y": [2, 3], "w": ["n": nil]])
    }

    @Test("keys match by their UTF-8 bytes, not by Unicode canonical equivalence")
    func byteKeys() throws {
        // RFC 8259 §8.3: compare names code unit by code unit.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)  // Swift String equality says equal
        var object = JSONObject()
        object[composed] = 1
        #expect(object[decomposed] == nil)
        object[decomposed] = 2
        #expect(object.count == 2)
        #expect(object[composed] == 1)
        #expect(object[decomposed] == 2)
        let parsed = try JSON.parse(#"{"caf\u00e9":1,"cafe\u0301":2}"#)
        #expect(parsed.objectValue?.count == 2)

        // Same rule once the object is large enough to use its hash index.
        var large = JSONObject()
        for i in 0..<40 { large.append("filler\(i)", true) }
        large[composed] = 1
        large[decomposed] = 2
        #expect(large.count == 42)
        #expect(large[composed] == 1)
        #expect(large[decomposed] == 2)
    }

    @Test("an empty object is empty")
    func empty() {
        let object = JSONObject()
        #expect(object.isEmpty)
        #expect(object.count == 0)
        #expect(object.keys.isEmpty)
        #expect(object == [:])
    }
}

@Suite("Programmer errors")
struct ProgrammerErrorTests {
    @Test("a repeated key in an object literal traps")
    func duplicateLiteralKey() async {
        await #expect(processExitsWith: .failure) {
            let key = "a"
            _ = JSONObject(dictionaryLiteral: (key, 1), (key, 2))
        }
    }

    @Test("an invalid JSON Pointer literal traps")
    func invalidPointerLiteral() async {
        await #expect(processExitsWith: .failure) {
            _ = JSONPointer(stringLiteral: "no-leading-slash")
        }
    }
}

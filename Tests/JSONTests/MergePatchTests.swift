import JSON
import Testing

@Suite("JSON Merge Patch (RFC 7386)")
struct MergePatchTests {
    /// RFC 7386 Appendix A, every row: original, patch, result.
    static let appendixA: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test("matches every example of RFC 7386 Appendix A", arguments: appendixA)
    func appendixExamples(original: String, patch: String, result: String) throws {
        let merged = JSON.mergePatch(try JSON.parse(original), try JSON.parse(patch))
        // Byte comparison also checks member order: kept members stay put,
        // new ones are appended.
        #expect(JSON.string(merged) == result)
    }

    @Test("matches the worked example of RFC 7386 section 3")
    func sectionThreeExample() throws {
        let target = try JSON.parse(
            """
            {
              "title": "Goodbye!",
              "author" : {
                "givenName" : "John",
                "familyName" : "Doe"
              },
              "tags":[ "example", "sample" ],
              "content": "This will be unchanged"
            }
            """)
        let patch = try JSON.parse(
            """
            {
              "title": "Hello!",
              "phoneNumber": "+01-123-456-7890",
              "author": {
                "familyName": null
              },
              "tags": [ "example" ]
            }
            """)
        let expected = try JSON.parse(
            """
            {
              "title": "Hello!",
              "author" : {
                "givenName" : "John"
              },
              "tags": [ "example" ],
              "content": "This will be unchanged",
              "phoneNumber": "+01-123-456-7890"
            }
            """)
        let merged = JSON.mergePatch(target, patch)
        #expect(merged == expected)
        #expect(JSON.string(merged) == JSON.string(expected))
    }

    @Test("an empty patch object changes an object target not at all")
    func emptyPatch() throws {
        let target: JSONValue = ["a": 1, "b": [nil]]
        #expect(JSON.mergePatch(target, [:]) == target)
        #expect(JSON.mergePatch(5, [:]) == [:])
    }
}

import JSON
import Testing

@Suite("JSON Pointer")
struct JSONPointerTests {
    /// The example document of RFC 6901 §5.
    static let document: JSONValue = [
        "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4,
        "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8,
    ]

    @Test(
        "resolves every example of RFC 6901 section 5",
        arguments: [
            ("", document), ("/foo", ["bar", "baz"]), ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1),
            ("/c%d", 2), ("/e^f", 3), ("/g|h", 4), ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
        ] as [(String, JSONValue)])
    func rfcExamples(pointer: String, expected: JSONValue) throws {
        let parsed = try JSONPointer(parsing: pointer)
        #expect(parsed.resolve(in: Self.document) == expected)
        #expect(parsed.description == pointer)
    }

    @Test("builds error paths from keys and indices")
    func building() {
        let pointer = JSONPointer.root.appending("medications").appending(0).appending("name")
        #expect(pointer.description == "/medications/0/name")
        #expect(pointer.tokens == ["medications", "0", "name"])
        #expect(JSONPointer.root.description == "")
        #expect(JSONPointer.root.tokens.isEmpty)
    }

    @Test("escapes '~' as ~0 and '/' as ~1")
    func escaping() throws {
        let pointer = JSONPointer(["a/b", "m~n", "~1", "/~", ""])
        #expect(pointer.description == "/a~1b/m~0n/~01/~1~0/")
        #expect(try JSONPointer(parsing: pointer.description) == pointer)
    }

    @Test("decodes ~01 as the text ~1, not as '/'")
    func decodeOrder() throws {
        #expect(try JSONPointer(parsing: "/~01").tokens == ["~1"])
        #expect(try JSONPointer(parsing: "/~10").tokens == ["/0"])
    }

    @Test("parses string literals")
    func literal() {
        let pointer: JSONPointer = "/entries/3/triggers"
        #expect(pointer == JSONPointer(["entries", "3", "triggers"]))
    }

    @Test("rejects strings that are not pointers", arguments: ["a", "a/b", "/~", "/~2", "/a~"])
    func invalid(text: String) {
        #expect(throws: JSONPointer.ParseError.self) { try JSONPointer(parsing: text) }
    }

    @Test(
        "resolves nothing for missing members, bad indices and scalars",
        arguments: [
            "/missing", "/foo/2", "/foo/-", "/foo/01", "/foo/-1", "/foo/+1", "/foo/1x", "/foo/0/x", "/a~1b/0",
            "/foo/99999999999999999999999",
        ])
    func unresolved(text: String) throws {
        #expect(try JSONPointer(parsing: text).resolve(in: Self.document) == nil)
    }

    @Test("resolves JSON null as a value, not as nothing")
    func resolvesNull() throws {
        let value: JSONValue = ["a": [nil]]
        #expect(try JSONPointer(parsing: "/a/0").resolve(in: value) == .some(.null))
    }
}

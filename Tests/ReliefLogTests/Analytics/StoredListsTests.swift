import Testing
@testable import ReliefLog

/// The summary decodes the stored trigger, symptom and medication lists itself (one read of the
/// episodes instead of three with SQLite's JSON functions); these pin the decoding down beyond
/// the slug lists the service writes, which the oracle tests cover.
@Suite("Stored episode lists decoded for the summary")
struct StoredListsTests {
    static func strings(_ text: String) -> [String] {
        var result: [String] = []
        StoredLists.forEachString(in: text) { result.append($0) }
        return result
    }

    @Test("slug lists as the service writes them, and with blanks", arguments: [
        ("[]", []), ("[ ]", []), (#"["stress"]"#, ["stress"]), (#"["stress","sleep_loss"]"#, ["stress", "sleep_loss"]),
        (#" [ "a" , "b" ] "#, ["a", "b"]), (#"["a","a"]"#, ["a", "a"]),
    ])
    func plain(text: String, expected: [String]) {
        #expect(Self.strings(text) == expected)
    }

    @Test("anything else goes through the JSON parser: escapes, other element types, malformed text", arguments: [
        (#"["caf\u00e9", "x\"y"]"#, ["café", "x\"y"]),
        (#"["a", 1, null, "b"]"#, ["a", "b"]),
        (#"["a", ]"#, []), ("not json", []), (#"{"a": "b"}"#, []), (#"["unterminated]"#, []),
    ])
    func fallback(text: String, expected: [String]) {
        #expect(Self.strings(text) == expected)
    }

    @Test("empty arrays", arguments: [("[]", true), (" [ ] ", true), ("[\n]", true), (#"[{"name": "x"}]"#, false), ("", false)])
    func empty(text: String, expected: Bool) {
        #expect(StoredLists.isEmptyArray(text) == expected)
    }

    @Test("medication classes: the class of each medication that has one")
    func classes() {
        let text = #"[{"name": "Sumatriptan", "class": "triptan"}, {"name": "Water"}, {"name": "X", "class": null}, {"name": "Ibuprofen", "class": "nsaid"}]"#
        #expect(StoredLists.medicationClasses(in: text) == ["triptan", "nsaid"])
        #expect(StoredLists.medicationClasses(in: "[]").isEmpty)
        #expect(StoredLists.medicationClasses(in: "garbage").isEmpty)
    }
}

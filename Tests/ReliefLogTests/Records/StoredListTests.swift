import Testing

@testable import ReliefLog

/// The stored list columns, as every record read and the summary decode them: the byte scan
/// for the plain arrays the service writes, the JSON parser for anything else.
@Suite("Stored list columns decoded")
struct StoredListTests {
    @Test(
        "plain string arrays as the service writes them, and with blanks",
        arguments: [
            ("[]", []), ("[ ]", []), (#"["stress"]"#, ["stress"]),
            (#"["stress","sleep_loss"]"#, ["stress", "sleep_loss"]),
            (#" [ "a" , "b" ] "#, ["a", "b"]), (#"["a","a"]"#, ["a", "a"]),
        ])
    func plain(text: String, expected: [String]) {
        #expect(StoredList.decode(text) == expected)
    }

    @Test("escapes go through the JSON parser")
    func escapes() {
        #expect(StoredList.decode(#"["caf\u00e9", "x\"y"]"#) == ["café", "x\"y"])
    }

    @Test(
        "anything but an array of strings is not a stored list",
        arguments: [
            #"["a", 1, null, "b"]"#, #"["a", ]"#, "not json", #"{"a": "b"}"#, #"["unterminated]"#, "",
        ])
    func invalid(text: String) {
        #expect(StoredList.decode(text) == nil)
    }

    @Test(
        "empty arrays",
        arguments: [("[]", true), (" [ ] ", true), ("[\n]", true), (#"[{"name": "x"}]"#, false), ("", false)])
    func empty(text: String, expected: Bool) {
        #expect(StoredList.isEmptyArray(text) == expected)
    }

    @Test("medication classes: the class of each medication that has one")
    func classes() {
        let text =
            #"[{"name": "Sumatriptan", "class": "triptan"}, {"name": "Water"}, {"name": "X", "class": null}, {"name": "Ibuprofen", "class": "nsaid"}]"#
        #expect(StoredMedications.classes(text) == ["triptan", "nsaid"])
        #expect(StoredMedications.classes("[]").isEmpty)
        #expect(StoredMedications.classes("garbage").isEmpty)
    }
}

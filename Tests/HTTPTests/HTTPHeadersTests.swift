import Testing

@testable import HTTP

@Suite("Header list")
struct HTTPHeadersTests {
    @Test("a dictionary literal keeps its order and lookups ignore case")
    func literalAndLookup() {
        let headers: HTTPHeaders = ["Content-Type": "application/json", "X-Id": "1", "x-id": "2"]
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["Content-Type", "X-Id", "x-id"])
        #expect(headers["content-type"] == "application/json")
        #expect(headers["X-ID"] == "1")
        #expect(headers.values("X-Id") == ["1", "2"])
        #expect(headers.contains("CONTENT-TYPE"))
        #expect(!headers.contains("Content-Typ"))
        #expect(headers["missing"] == nil)
        #expect(headers.values("missing").isEmpty)
    }

    @Test("case folding is ASCII only and exact in length")
    func asciiFolding() {
        let headers: HTTPHeaders = ["X-^": "caret", "Ä": "umlaut"]
        #expect(headers["x-^"] == "caret")
        #expect(headers["x-~"] == nil)  // '^' | 0x20 == '~' must not match
        #expect(headers["ä"] == nil)
        #expect(headers["Ä"] == "umlaut")
    }

    @Test("add appends, replaceOrAdd keeps the first position and drops the rest")
    func mutation() {
        var headers = HTTPHeaders()
        #expect(headers.isEmpty)
        headers.add("Set-Cookie", "a=1")
        headers.add("Vary", "Accept")
        headers.add("set-cookie", "b=2")
        #expect(headers.values("set-cookie") == ["a=1", "b=2"])
        headers.replaceOrAdd("SET-COOKIE", "c=3")
        #expect(headers.map(\.name) == ["SET-COOKIE", "Vary"])
        #expect(headers["set-cookie"] == "c=3")
        headers.replaceOrAdd("Cache-Control", "no-store")
        #expect(headers.map(\.name) == ["SET-COOKIE", "Vary", "Cache-Control"])
        headers.remove("vary")
        #expect(headers.map(\.name) == ["SET-COOKIE", "Cache-Control"])
        headers.remove("not-there")
        #expect(headers.count == 2)
    }

    @Test("equality is exact: order, name spelling and values")
    func equality() {
        let a: HTTPHeaders = ["A": "1", "B": "2"]
        #expect(a == HTTPHeaders([("A", "1"), ("B", "2")]))
        #expect(a != ["B": "2", "A": "1"])
        #expect(a != ["a": "1", "B": "2"])
        #expect(a != ["A": "1"])
        #expect(a.description == "A: 1\nB: 2")
    }
}

import JSON
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("literals build the matching cases")
    func literals() {
        let null: JSONValue = nil
        let bool: JSONValue = true
        let integer: JSONValue = 42
        let double: JSONValue = 4.5
        let string: JSONValue = "x"
        let array: JSONValue = [1, "a", nil]
        let object: JSONValue = ["b": 2, "a": 1]
        #expect(null == .null)
        #expect(bool == .bool(true))
        #expect(integer == .number(.integer(42)))
        #expect(double == .number(.double(4.5)))
        #expect(string == .string("x"))
        #expect(array == .array([.number(.integer(1)), .string("a"), .null]))
        #expect(object.objectValue?.keys == ["b", "a"])
    }

    @Test("accessors return a value only for their own kind")
    func accessors() {
        let values: [JSONValue] = [nil, true, 3, 3.0, "s", [1], ["k": 1]]
        #expect(values.map(\.isNull) == [true, false, false, false, false, false, false])
        #expect(values.map(\.boolValue) == [nil, true, nil, nil, nil, nil, nil])
        #expect(values.map(\.int64Value) == [nil, nil, 3, nil, nil, nil, nil])
        #expect(values.map(\.doubleValue) == [nil, nil, 3.0, 3.0, nil, nil, nil])
        #expect(values.map(\.stringValue) == [nil, nil, nil, nil, "s", nil, nil])
        #expect(values.map(\.arrayValue) == [nil, nil, nil, nil, nil, [1], nil])
        #expect(values.map(\.objectValue) == [nil, nil, nil, nil, nil, nil, ["k": 1]])
        #expect(values.map(\.typeName) == ["null", "boolean", "integer", "number", "string", "array", "object"])
    }

    @Test("booleans and numbers never convert into each other")
    func boolIsNotNumber() throws {
        #expect(try JSON.parse("true").int64Value == nil)
        #expect(try JSON.parse("true").doubleValue == nil)
        #expect(try JSON.parse("1").boolValue == nil)
        #expect(try JSON.parse("0") != JSON.parse("false"))
    }

    @Test("an integral double is not an integer")
    func integralDouble() throws {
        #expect(try JSON.parse("2.0").int64Value == nil)
        #expect(try JSON.parse("2e0").int64Value == nil)
        #expect(try JSON.parse("2").int64Value == 2)
    }

    @Test("convenience initialisers map Swift values and nil")
    func conveniences() {
        let missingString: String? = nil
        let presentString: String? = "x"
        let missingInt: Int? = nil
        let someInt: Int? = 5
        let someDouble: Double? = 1.5
        let someBool: Bool? = false
        let someInt64: Int64? = nil
        #expect(JSONValue(missingString) == .null)
        #expect(JSONValue(presentString) == "x")
        #expect(JSONValue(missingInt) == .null)
        #expect(JSONValue(someInt) == 5)
        #expect(JSONValue(someDouble) == 1.5)
        #expect(JSONValue(someBool) == false)
        #expect(JSONValue(someInt64) == .null)
        #expect(JSONValue(Int(7)) == .number(.integer(7)))
        #expect(JSONValue(Int64(-7)) == .number(.integer(-7)))
        #expect(JSONValue(Double(7)) == .number(.double(7)))
        #expect(JSONValue("s") == .string("s"))
        #expect(JSONValue(true) == .bool(true))
    }

    @Test("values are usable as set members and dictionary keys")
    func hashable() {
        let set: Set<JSONValue> = [1, 1.0, "1", true, [1], ["a": 1], ["a": 1]]
        #expect(set.count == 6)
    }
}

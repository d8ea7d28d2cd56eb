/// A JSON value (RFC 8259 §3).
///
/// Numbers keep the distinction between integers and doubles (see ``JSONNumber``),
/// and objects keep their insertion order (see ``JSONObject``).
///
/// Equality is structural. Object equality ignores member order, because
/// RFC 8259 §4 gives no meaning to it; compare serialized bytes to check order.
/// `.number(.integer(1))` and `.number(.double(1.0))` are *not* equal.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON number that remembers whether it was written as an integer.
///
/// The parser produces `.integer` for a literal without fraction or exponent
/// whose value fits `Int64`; every other number literal becomes `.double`
/// (RFC 8259 §6 leaves range and precision to the implementation).
public enum JSONNumber: Sendable, Hashable {
    case integer(Int64)
    case double(Double)
}

// MARK: - Accessors

extension JSONValue {
    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, or `nil` for any other kind of value (numbers are not booleans).
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The integer, only for `.number(.integer)`.
    ///
    /// A double with an integral value (`1.0`, `1e2`) returns `nil`, so that a field
    /// declared as an integer rejects such input rather than silently accepting it.
    public var int64Value: Int64? {
        if case .number(.integer(let i)) = self { return i }
        return nil
    }

    /// The number as a `Double`, for both integers and doubles.
    /// Integers beyond 2^53 are rounded to the nearest `Double`.
    public var doubleValue: Double? {
        switch self {
        case .number(.integer(let i)): return Double(i)
        case .number(.double(let d)): return d
        default: return nil
        }
    }

    /// The string, or `nil` for any other kind of value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, or `nil` for any other kind of value.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object, or `nil` for any other kind of value.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The kind of value, for error messages: "null", "boolean", "integer",
    /// "number", "string", "array" or "object".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(.integer): return "integer"
        case .number(.double): return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Building

extension JSONValue {
    /// `.bool(value)`.
    public init(_ value: Bool) { self = .bool(value) }
    /// `.number(.integer(value))`.
    public init(_ value: Int) { self = .number(.integer(Int64(value))) }
    /// `.number(.integer(value))`.
    public init(_ value: Int64) { self = .number(.integer(value)) }
    /// `.number(.double(value))`. NaN and infinities serialize as `null`.
    public init(_ value: Double) { self = .number(.double(value)) }
    /// `.string(value)`.
    public init(_ value: String) { self = .string(value) }

    /// The wrapped value, or `.null` when `nil`.
    public init(_ value: Bool?) { self = value.map { .bool($0) } ?? .null }
    /// The wrapped value, or `.null` when `nil`.
    public init(_ value: Int?) { self = value.map { .number(.integer(Int64($0))) } ?? .null }
    /// The wrapped value, or `.null` when `nil`.
    public init(_ value: Int64?) { self = value.map { .number(.integer($0)) } ?? .null }
    /// The wrapped value, or `.null` when `nil`.
    public init(_ value: Double?) { self = value.map { .number(.double($0)) } ?? .null }
    /// The wrapped value, or `.null` when `nil`.
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .number(.integer(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .number(.double(value)) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Members keep their literal order. A repeated key is a programmer error and traps.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        object.reserveCapacity(elements.count)
        for (key, value) in elements {
            object.appendChecked(key, value)
        }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact serialization, as ``JSON/string(_:)`` returns it.
    public var description: String { JSON.string(self) }
}

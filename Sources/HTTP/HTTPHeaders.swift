/// An ordered list of HTTP header fields.
///
/// Fields keep the order and the name spelling they were received or added
/// with; a name may occur more than once. Lookups compare names
/// case-insensitively over ASCII, since field names are case-insensitive
/// (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable,
    CustomStringConvertible
{
    /// One field: its name as received and its value with surrounding
    /// whitespace removed.
    public typealias Element = (name: String, value: String)

    internal var fields: [Element]

    /// Creates an empty header list.
    public init() {
        fields = []
    }

    /// Creates a header list from `(name, value)` pairs, keeping their order.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// Creates a header list from a literal such as `["Host": "example.com"]`,
    /// keeping the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The number of fields, counting repeated names separately.
    public var count: Int { fields.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { fields.isEmpty }

    /// The value of the first field named `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The values of every field named `name` (case-insensitive), in order.
    ///
    /// Values are returned as received; comma-separated list values are not
    /// split.
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        for field in fields where Self.namesEqual(field.name, name) {
            result.append(field.value)
        }
        return result
    }

    /// How many fields are named `name` (case-insensitive), without allocating.
    public func count(of name: String) -> Int {
        var count = 0
        for field in fields where Self.namesEqual(field.name, name) { count += 1 }
        return count
    }

    /// Whether a field named `name` (case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Sets the only field named `name` to `value`.
    ///
    /// The first existing field with that name (case-insensitive) takes the
    /// new name and value in place and any later ones are removed; if there
    /// is none the field is appended.
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { Self.namesEqual($0.name, name) }) else {
            fields.append((name: name, value: value))
            return
        }
        fields[first] = (name: name, value: value)
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if Self.namesEqual(fields[index].name, name) {
                fields.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// Two header lists are equal when they hold the same fields, with the
    /// same name spelling, in the same order.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (l, r) in zip(lhs.fields, rhs.fields) where l.name != r.name || l.value != r.value {
            return false
        }
        return true
    }

    /// The fields as `Name: value` lines.
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// ASCII case-insensitive comparison of two field names, without allocating. Every header
    /// look-up runs it once per field, so native strings are compared on their bytes directly
    /// (iterating two `UTF8View`s in step showed up in profiles).
    internal static func namesEqual(_ a: String, _ b: String) -> Bool {
        let a = a.utf8
        let b = b.utf8
        guard a.count == b.count else { return false }
        let contiguous = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in
                for index in x.indices where x[index] != y[index] {
                    if ASCII.lowercased(x[index]) != ASCII.lowercased(y[index]) { return false }
                }
                return true
            }
        }
        if case .some(.some(let equal)) = contiguous { return equal }
        for (x, y) in zip(a, b) where x != y {
            if ASCII.lowercased(x) != ASCII.lowercased(y) { return false }
        }
        return true
    }
}

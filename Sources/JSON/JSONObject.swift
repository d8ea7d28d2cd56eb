/// A JSON object whose members keep their insertion order.
///
/// Serialization writes members in this order, so responses read the way they
/// were built. Lookup by key scans small objects linearly (faster than hashing a
/// handful of short keys) and switches to a hash index once the object grows
/// past ``indexThreshold`` members.
///
/// Keys compare with Swift `String` equality, i.e. by Unicode canonical
/// equivalence: two keys that differ only in normalization are the same key.
/// RFC 8259 §8.3 compares code units; treating such keys as duplicates is the
/// stricter choice and avoids two members that look identical.
///
/// Equality and hashing ignore member order (RFC 8259 §4: an object is an
/// unordered collection).
public struct JSONObject: Sendable {
    /// The members, in insertion order.
    private var entries: [(key: String, value: JSONValue)]
    /// Position of each key in `entries`; only built for objects with more than
    /// `indexThreshold` members.
    private var index: [String: Int]?

    /// Member count above which lookups use a hash index instead of a scan.
    static var indexThreshold: Int { 16 }

    /// An empty object.
    public init() {
        entries = []
        index = nil
    }

    /// The keys, in insertion order.
    public var keys: [String] { entries.map(\.key) }

    /// The number of members.
    public var count: Int { entries.count }

    /// `true` when the object has no members.
    public var isEmpty: Bool { entries.isEmpty }

    /// Reserves room for `minimumCapacity` members.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        entries.reserveCapacity(minimumCapacity)
    }

    /// The value for `key`, or `nil` when the object has no such member.
    ///
    /// Setting a value replaces an existing member in place (keeping its
    /// position) or appends a new one; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = position(of: key) else { return nil }
            return entries[i].value
        }
        set {
            if let newValue {
                if let i = position(of: key) {
                    entries[i].value = newValue
                } else {
                    appendUnchecked(key, newValue)
                }
            } else if let i = position(of: key) {
                entries.remove(at: i)
                rebuildIndex()
            }
        }
    }

    /// Appends a member whose key the caller knows is not present yet.
    ///
    /// This is the fast path for building responses: it does not look the key up.
    /// Appending a key that is already present is a programmer error; debug builds
    /// trap, release builds keep the first value for lookups and serialize both.
    public mutating func append(_ key: String, _ value: JSONValue) {
        assert(position(of: key) == nil, "JSONObject.append: duplicate key \"\(key)\"")
        appendUnchecked(key, value)
    }

    /// Appends after checking the key is new, trapping otherwise (for literals).
    mutating func appendChecked(_ key: String, _ value: JSONValue) {
        precondition(position(of: key) == nil, "duplicate key \"\(key)\" in JSON object literal")
        appendUnchecked(key, value)
    }

    /// Whether a member named `key` exists.
    func contains(_ key: String) -> Bool {
        position(of: key) != nil
    }

    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        entries.append((key: key, value: value))
        if index != nil {
            if index![key] == nil { index![key] = entries.count - 1 }
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in entries.indices where entries[i].key == key {
            return i
        }
        return nil
    }

    private mutating func rebuildIndex() {
        guard entries.count > Self.indexThreshold else {
            index = nil
            return
        }
        var newIndex = [String: Int](minimumCapacity: entries.count)
        for i in entries.indices where newIndex[entries[i].key] == nil {
            newIndex[entries[i].key] = i  // first occurrence wins, as in a scan
        }
        index = newIndex
    }
}

extension JSONObject: Sequence {
    /// Members in insertion order.
    public typealias Element = (key: String, value: JSONValue)

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[(key: String, value: JSONValue)]>
        public mutating func next() -> (key: String, value: JSONValue)? { base.next() }
    }

    public func makeIterator() -> Iterator { Iterator(base: entries.makeIterator()) }

    public var underestimatedCount: Int { entries.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Members keep their literal order. A repeated key is a programmer error and traps.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        entries.reserveCapacity(elements.count)
        for (key, value) in elements {
            appendChecked(key, value)
        }
    }
}

extension JSONObject: Hashable {
    /// Same members with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    /// Order-independent: member hashes are combined commutatively.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in entries {
            var memberHasher = Hasher()
            memberHasher.combine(key)
            memberHasher.combine(value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(combined)
    }
}

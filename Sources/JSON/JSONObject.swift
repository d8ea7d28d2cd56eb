/// A JSON object whose members keep their insertion order.
///
/// Serialization writes members in this order, so responses read the way they
/// were built. Lookup by key scans small objects linearly, comparing a cheap
/// digest of each key first (faster than hashing a handful of short keys),
/// and switches to a hash index once the object grows past 32 members.
///
/// Keys compare by their UTF-8 bytes, as RFC 8259 §8.3 recommends (code unit
/// by code unit), not by Swift's `String` equality, which treats canonically
/// equivalent strings ("é" and "e\u{301}") as equal. Byte comparison is both
/// the interoperable choice and cheaper than hashing normalized strings.
///
/// Equality and hashing ignore member order (RFC 8259 §4: an object is an
/// unordered collection).
public struct JSONObject: Sendable {
    /// A member with a cheap digest of its key's bytes, compared before the key.
    struct Entry: Sendable {
        var key: String
        var value: JSONValue
        var tag: UInt64
    }

    /// The members, in insertion order.
    private var entries: [Entry]
    /// Position of each key in `entries`; only built for objects with more than
    /// `indexThreshold` members, so that lookups stay O(1) and a huge request
    /// body cannot make duplicate detection quadratic. Swift's seeded hashing
    /// keeps crafted collisions out.
    private var index: [KeyBytes: Int]?

    /// Member count above which lookups use a hash index instead of a scan.
    static var indexThreshold: Int { 32 }

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
            guard let i = position(of: key, tag: Self.tag(key)) else { return nil }
            return entries[i].value
        }
        set {
            let tag = Self.tag(key)
            if let newValue {
                if let i = position(of: key, tag: tag) {
                    entries[i].value = newValue
                } else {
                    appendUnchecked(key, newValue, tag: tag)
                }
            } else if let i = position(of: key, tag: tag) {
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
        let tag = Self.tag(key)
        assert(position(of: key, tag: tag) == nil, "JSONObject.append: duplicate key \"\(key)\"")
        appendUnchecked(key, value, tag: tag)
    }

    /// Appends after checking the key is new, trapping otherwise (for literals).
    mutating func appendChecked(_ key: String, _ value: JSONValue) {
        let tag = Self.tag(key)
        precondition(position(of: key, tag: tag) == nil, "duplicate key \"\(key)\" in JSON object literal")
        appendUnchecked(key, value, tag: tag)
    }

    mutating func appendUnchecked(_ key: String, _ value: JSONValue, tag: UInt64) {
        entries.append(Entry(key: key, value: value, tag: tag))
        if index != nil {
            if index![KeyBytes(key)] == nil { index![KeyBytes(key)] = entries.count - 1 }
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    /// Replaces the value of the member at `position` (from `position(of:tag:)`), keeping its place.
    mutating func replaceValue(at position: Int, with value: JSONValue) {
        entries[position].value = value
    }

    /// Where the member named `key` is; `tag` must be `JSONObject.tag(key)`.
    func position(of key: String, tag: UInt64) -> Int? {
        if let index { return index[KeyBytes(key)] }
        return entries.withUnsafeBufferPointer { entries in
            for i in entries.indices where entries[i].tag == tag && sameUTF8(entries[i].key, key) {
                return i
            }
            return nil
        }
    }

    private mutating func rebuildIndex() {
        guard entries.count > Self.indexThreshold else {
            index = nil
            return
        }
        var newIndex = [KeyBytes: Int](minimumCapacity: entries.count)
        for i in entries.indices where newIndex[KeyBytes(entries[i].key)] == nil {
            newIndex[KeyBytes(entries[i].key)] = i  // first occurrence wins, as in a scan
        }
        index = newIndex
    }

    /// A fast, unseeded digest of the key's UTF-8 bytes. It only filters the
    /// linear scan (equal keys have equal tags); equality is always confirmed
    /// on the bytes, and large objects use seeded hashing instead.
    static func tag(_ key: String) -> UInt64 {
        key.utf8.withContiguousStorageIfAvailable(tag) ?? Array(key.utf8).withUnsafeBufferPointer(tag)
    }

    static func tag(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = bytes.count
        var h = 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: n &+ 1)
        guard let p = bytes.baseAddress else { return h }
        var i = 0
        while n - i >= 8 {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}

extension JSONObject: Sequence {
    /// Members in insertion order.
    public typealias Element = (key: String, value: JSONValue)

    /// Iterates members in insertion order.
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Entry]>

        public mutating func next() -> (key: String, value: JSONValue)? {
            guard let entry = base.next() else { return nil }
            return (key: entry.key, value: entry.value)
        }
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
        for (key, value) in self {
            var memberHasher = Hasher()
            memberHasher.combine(KeyBytes(key))
            memberHasher.combine(value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(combined)
    }
}

/// True when the two strings have the same UTF-8 bytes.
func sameUTF8(_ a: String, _ b: String) -> Bool {
    let contiguous = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in sameBytes(x, y) }
    }
    return (contiguous ?? nil) ?? a.utf8.elementsEqual(b.utf8)
}

/// Byte equality, eight bytes at a time.
@inline(__always)
func sameBytes(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = x.count
    guard n == y.count else { return false }
    guard n > 0, let p = x.baseAddress, let q = y.baseAddress else { return true }
    var i = 0
    while n - i >= 8 {
        if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            != UnsafeRawPointer(q + i).loadUnaligned(as: UInt64.self)
        {
            return false
        }
        i += 8
    }
    while i < n {
        if p[i] != q[i] { return false }
        i += 1
    }
    return true
}

/// A dictionary key that hashes and compares a string's UTF-8 bytes.
struct KeyBytes: Hashable {
    var string: String

    init(_ string: String) {
        self.string = string
    }

    static func == (lhs: KeyBytes, rhs: KeyBytes) -> Bool {
        sameUTF8(lhs.string, rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if hashed == nil {
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}

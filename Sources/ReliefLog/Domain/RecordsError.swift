import JSON

/// Why a repository refused a request, in domain terms; the route layer maps these to
/// statuses (`notFound` → 404, `conflict` → 409, `missingReference` → 422 at the field,
/// `invalidCursor` → 400, `storedDataInvalid` → 500).
enum RecordsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No record with that id.
    case notFound
    /// The change conflicts with stored data: a uniqueness rule (`field` names the request
    /// field, `externalId` or `licenseNumber`), or a therapist that still has sessions
    /// (`field` is `nil`).
    case conflict(field: String?, message: String)
    /// `field` (`patientId`, `therapistId`) names a record that does not exist.
    case missingReference(field: String)
    /// The paging cursor was not made by this list (or was altered).
    case invalidCursor
    /// A stored row could not be read back (for example a list column that is not a JSON
    /// array of strings): a bug or a manual edit, never the client's fault.
    case storedDataInvalid(table: String, id: Int64, column: String)

    var description: String {
        switch self {
        case .notFound: "no such record"
        case .conflict(let field, let message): field.map { "\($0): \(message)" } ?? message
        case .missingReference(let field): "\(field) names no existing record"
        case .invalidCursor: "the cursor is not valid for this list"
        case .storedDataInvalid(let table, let id, let column): "\(table) row \(id) has an unreadable \(column)"
        }
    }
}

/// One page of a list (API.md "Lists, paging, filters"): `{"items": [...], "nextCursor": ...}`.
struct Page<Item: Sendable>: Sendable {
    var items: [Item]
    /// The cursor for the next page, `nil` on the last page.
    var nextCursor: String?
}

extension Page {
    /// The page of `fetched`, which holds up to `limit + 1` rows: the extra row only shows
    /// that another page follows, whose cursor is `cursor` of the last row kept.
    init(fetched: [Item], limit: Int, cursor: (Item) -> String) {
        var items = fetched
        var next: String?
        if items.count > limit {
            items.removeLast(items.count - limit)
            next = items.last.map(cursor)
        }
        self.init(items: items, nextCursor: next)
    }

    /// The contract's list body, each item rendered by `render`.
    func json(_ render: (Item) -> JSONValue) -> JSONValue {
        var object = JSONObject()
        object.append("items", .array(items.map(render)))
        object.append("nextCursor", nextCursor.map(JSONValue.string) ?? .null)
        return .object(object)
    }
}

/// Page sizes (API.md: `limit` defaults to 50, at most 500).
enum PageLimit {
    static let `default` = 50
    static let range = 1...500
}

/// Opaque keyset cursors: the sort key of the last row of a page, not an offset, so rows
/// inserted while a client pages neither repeat nor push older rows out of reach.
///
/// The cursor is base64url (RFC 4648 §5, without padding) of `<list>:<key>:<key>`, where
/// `<list>` names the collection so that a cursor of one list is refused by another.
enum Cursor {
    static func encode(list: String, key: [Int64]) -> String {
        var text = list
        for part in key {
            text += ":" + String(part)
        }
        return Base64URL.encode(Array(text.utf8))
    }

    /// The key of a cursor made by `encode(list:key:)` with `count` parts, or `nil`.
    static func decode(_ cursor: String, list: String, count: Int) -> [Int64]? {
        guard cursor.utf8.count <= 200, let bytes = Base64URL.decode(cursor),
            let text = String(validating: bytes, as: UTF8.self)
        else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == count + 1, parts[0] == list else { return nil }
        var key: [Int64] = []
        for part in parts.dropFirst() {
            guard let value = Int64(part), String(value) == part else { return nil }
            key.append(value)
        }
        return key
    }
}

/// Base64 with the URL and file name safe alphabet, without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            if i + 1 < bytes.count { output.append(alphabet[Int(group >> 6 & 63)]) }
            if i + 2 < bytes.count { output.append(alphabet[Int(group & 63)]) }
            i += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes, or `nil` for characters outside the alphabet, padding, or a bad length.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(UInt32(byte - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(UInt32(byte - UInt8(ascii: "a")) + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(UInt32(byte - UInt8(ascii: "0")) + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var group: UInt32 = 0
            for (k, value) in chunk.enumerated() {
                group |= value << (18 - 6 * UInt32(k))
            }
            bytes.append(UInt8(group >> 16 & 0xFF))
            if chunk.count > 2 { bytes.append(UInt8(group >> 8 & 0xFF)) }
            if chunk.count > 3 { bytes.append(UInt8(group & 0xFF)) }
            i += 4
        }
        // Canonical form only: the unused low bits of the last character must be zero.
        guard encode(bytes) == text else { return nil }
        return bytes
    }
}

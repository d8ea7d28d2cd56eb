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

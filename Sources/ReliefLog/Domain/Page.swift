import JSON

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

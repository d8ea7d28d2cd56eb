import HTTP

/// Strong entity tags of JSON representations, and the conditional request headers that
/// compare them (RFC 9110 §8.8.3, §13.1).
///
/// The tag is `"` + 16 hexadecimal digits of the 64-bit FNV-1a hash of the exact response
/// body + `"`, so the same representation always carries the same tag.
enum ETag {
    static func of(_ body: [UInt8]) -> String { ContentTag.of(body) }

    /// `If-Match`: strong comparison; `*` matches any current representation.
    /// Without the header the request proceeds.
    static func ifMatch(_ request: HTTPServerRequest, current: String) -> Bool {
        let values = request.headers.values("If-Match")
        guard !values.isEmpty else { return true }
        let tags = parse(values.joined(separator: ","))
        return tags.contains { tag in
            switch tag {
            case .any: true
            case .tag(let opaque, let weak): !weak && "\"\(opaque)\"" == current
            }
        }
    }

    /// `If-None-Match`: weak comparison; `*` matches any current representation. True when
    /// the client's copy is current (answer 304).
    static func ifNoneMatchMatches(_ request: HTTPServerRequest, current: String) -> Bool {
        // A poll echoes the tag it was given: a header that is exactly the current tag matches
        // whatever else is listed. Anything else (several tags, weak tags, `*`) takes the parse.
        guard let first = request.headers["If-None-Match"] else { return false }
        if first == current { return true }
        let values = request.headers.values("If-None-Match")
        return parse(values.joined(separator: ",")).contains { tag in
            switch tag {
            case .any: true
            case .tag(let opaque, _): "\"\(opaque)\"" == current
            }
        }
    }

    enum Condition: Equatable {
        case any
        case tag(opaque: String, weak: Bool)
    }

    /// The members of an `If-Match` / `If-None-Match` list. Malformed members are skipped,
    /// so they match nothing.
    static func parse(_ header: String) -> [Condition] {
        var result: [Condition] = []
        var bytes = Substring(header).utf8[...]
        func skipSeparators() {
            while let byte = bytes.first,
                byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ",")
            {
                bytes = bytes.dropFirst()
            }
        }
        skipSeparators()
        while !bytes.isEmpty {
            if bytes.first == UInt8(ascii: "*") {
                result.append(.any)
                bytes = bytes.dropFirst()
            } else {
                var weak = false
                if bytes.starts(with: "W/".utf8) {
                    weak = true
                    bytes = bytes.dropFirst(2)
                }
                if bytes.first == UInt8(ascii: "\""), let end = bytes.dropFirst().firstIndex(of: UInt8(ascii: "\"")) {
                    let opaque = bytes[bytes.index(after: bytes.startIndex)..<end]
                    result.append(.tag(opaque: String(decoding: opaque, as: UTF8.self), weak: weak))
                    bytes = bytes[bytes.index(after: end)...]
                } else {
                    // Skip to the next comma.
                    while let byte = bytes.first, byte != UInt8(ascii: ",") { bytes = bytes.dropFirst() }
                }
            }
            skipSeparators()
        }
        return result
    }
}

@testable import HTTP

/// Helpers shared by the parser tests.
enum Feed {
    /// The bytes of `text`, which spells CR and LF explicitly.
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Appends each piece and drains the parser after each, returning every
    /// event other than `.needMoreData`. Pieces after an error are still
    /// appended, to check they are ignored.
    static func events(
        _ pieces: [[UInt8]], limits: HTTPParserLimits = .init()
    ) -> [HTTPParserEvent] {
        var parser = HTTPRequestParser(limits: limits)
        return events(pieces, into: &parser)
    }

    static func events(_ pieces: [[UInt8]], into parser: inout HTTPRequestParser) -> [HTTPParserEvent] {
        var result: [HTTPParserEvent] = []
        var failed = false
        for piece in pieces {
            parser.append(piece)
            if failed { continue }
            drain: while true {
                let event = parser.next()
                switch event {
                case .needMoreData: break drain
                case .error:
                    result.append(event)
                    failed = true
                    break drain
                case .head, .request:
                    result.append(event)
                }
            }
        }
        return result
    }

    static func whole(_ input: [UInt8], limits: HTTPParserLimits = .init()) -> [HTTPParserEvent] {
        events([input], limits: limits)
    }

    static func byteByByte(_ input: [UInt8], limits: HTTPParserLimits = .init()) -> [HTTPParserEvent] {
        events(input.map { [$0] }, limits: limits)
    }

    static func split(_ input: [UInt8], at index: Int, limits: HTTPParserLimits = .init()) -> [HTTPParserEvent] {
        events([Array(input[..<index]), Array(input[index...])], limits: limits)
    }

    /// The requests among `events`.
    static func requests(_ events: [HTTPParserEvent]) -> [HTTPRequest] {
        events.compactMap { if case .request(let r) = $0 { r } else { nil } }
    }

    /// The heads among `events`.
    static func heads(_ events: [HTTPParserEvent]) -> [HTTPRequestHead] {
        events.compactMap { if case .head(let h) = $0 { h } else { nil } }
    }

    /// The error among `events`, if any.
    static func error(_ events: [HTTPParserEvent]) -> HTTPParseError? {
        for case .error(let e) in events { return e }
        return nil
    }

    /// Parses one complete request fed whole and returns it, or nil.
    static func request(_ text: String, limits: HTTPParserLimits = .init()) -> HTTPRequest? {
        let all = whole(bytes(text), limits: limits)
        return requests(all).first
    }
}

extension HTTPParserEvent {
    /// The status of an error event, or nil.
    var errorStatus: Int? {
        if case .error(let e) = self { e.status } else { nil }
    }
}

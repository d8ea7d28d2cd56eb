public import Logging

/// What a route handler receives besides the request.
public struct RequestContext: Sendable {
    public let requestId: String
    /// The matched route template, e.g. "/v1/episodes/{id}".
    public let route: String
    public let parameters: RouteParameters
    private let baseLogger: Logger

    public init(requestId: String, route: String, parameters: RouteParameters, logger: Logger) {
        self.requestId = requestId
        self.route = route
        self.parameters = parameters
        self.baseLogger = logger
    }

    /// A logger tagged with the request id and route (built on demand: most requests never log).
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "requestId"] = .string(requestId)
        logger[metadataKey: "route"] = .string(route)
        return logger
    }
}

/// Path parameters of the matched route, percent-decoded.
public struct RouteParameters: Sendable {
    private var values: [(name: String, value: String)] = []

    public init() {}

    mutating func append(_ name: String, _ value: String) { values.append((name, value)) }

    public subscript(_ name: String) -> String? { values.first { $0.name == name }?.value }

    /// The parameter converted to `T`, or a 400 naming the parameter.
    public func require<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws(Problem) -> T {
        guard let raw = self[name], let value = T(raw) else {
            throw Problem(
                status: 400, detail: "Path parameter '\(name)' is not a valid \(T.self).",
                errors: [.init(field: "/\(name)", message: "must be a valid \(T.self)")])
        }
        return value
    }
}

public typealias HTTPHandler = @Sendable (HTTPServerRequest, RequestContext) async throws -> HTTPResponse

/// Where a route's handler runs.
public enum HandlerPlacement: Sendable, Hashable {
    /// On the event loop that read the request (the default): no thread hand-off for a handler
    /// that does not suspend. For handlers whose synchronous parts are short: parsing a bounded
    /// body, a point read, rendering one record.
    case eventLoop
    /// On Swift's global concurrent executor: for handlers that compute for long on the
    /// calling thread (parsing a large upload, say), which would otherwise hold up every other
    /// connection of their loop. The response still leaves from the connection's loop.
    case concurrentPool
}

/// Who may call a route, as the application declares it when registering the route.
///
/// The router does not interpret it (roles and credentials belong to the application, which
/// enforces them in the handler it registers), but it refuses a route without one and lists
/// each route with its declaration, so a test can hold every route to its declared access.
public struct RouteAccess: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// `declaration` must say something ("public", "admin, clinician"): an empty one stops
    /// the process at start-up.
    public init(_ declaration: String) {
        precondition(declaration.contains { !$0.isWhitespace }, "a route's access declaration must not be empty")
        description = declaration
    }
}

/// Something that turns a request into a response; the server's single entry point.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPServerRequest) async -> HTTPResponse
}

/// Collects routes; `build()` freezes them into an immutable `Router`.
public struct RouterBuilder {
    fileprivate struct Entry {
        let method: String
        let template: String
        let segments: [RouteSegment]
        let access: RouteAccess
        let placement: HandlerPlacement
        let handler: HTTPHandler
    }

    private var entries: [Entry] = []

    public init() {}

    /// Registers `handler` for `method` on a path template such as "/v1/patients/{id}", declaring
    /// who may call it and where its handler runs. A template is literal segments and `{name}`
    /// parameters; registering the same method and shape twice is a programming error and stops
    /// the process at start-up.
    public mutating func add(
        _ method: String, _ template: String, access: RouteAccess, placement: HandlerPlacement = .eventLoop,
        handler: @escaping HTTPHandler
    ) {
        let segments = RouteSegment.parse(template)
        precondition(
            !entries.contains { $0.method == method && $0.segments.shapeEquals(segments) },
            "route \(method) \(template) registered twice")
        entries.append(
            Entry(
                method: method, template: template, segments: segments, access: access, placement: placement,
                handler: handler))
    }

    public func build(logger: Logger) -> Router {
        Router(entries: entries, logger: logger)
    }
}

enum RouteSegment: Equatable {
    case literal(String)
    case parameter(String)

    static func parse(_ template: String) -> [RouteSegment] {
        precondition(template.hasPrefix("/"), "route template must start with '/': \(template)")
        let segments: [RouteSegment] = template.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        // A trailing slash is a segment of its own ("/" and "/app/" are paths of their own, as
        // a request path splits them), so "/app/" and "/app" are different routes.
        return template.hasSuffix("/") ? segments + [.literal("")] : segments
    }
}

extension [RouteSegment] {
    func shapeEquals(_ other: [RouteSegment]) -> Bool {
        guard count == other.count else { return false }
        return zip(self, other).allSatisfy { pair in
            switch pair {
            case (.literal(let a), .literal(let b)): a == b
            case (.parameter, .parameter): true
            default: false
            }
        }
    }
}

/// An immutable routing table: a trie of path segments, each node holding its handlers by method.
///
/// It answers 404 for an unknown path and 405 with `Allow` for a known path with another
/// method (HEAD is served by GET's handler; the server drops the body). Every error a handler
/// throws becomes a problem response here, so errors leave from one place.
public struct Router: HTTPResponder {
    private final class Node: @unchecked Sendable {
        // Only mutated while the router is built, before it is shared; read-only afterwards.
        // A node has a handful of children: comparing a segment's bytes with each costs less
        // than making it a String and hashing it, on every request.
        var literals: [(text: [UInt8], node: Node)] = []
        var parameter: (name: String, node: Node)?
        var handlers: [String: (template: String, placement: HandlerPlacement, handler: HTTPHandler)] = [:]

        func literal(_ segment: UnsafeBufferPointer<UInt8>) -> Node? {
            literals.first { $0.text.count == segment.count && $0.text.elementsEqual(segment) }?.node
        }

        func literal(_ text: String) -> Node? {
            literals.first { $0.text.elementsEqual(text.utf8) }?.node
        }
    }

    public struct RouteDescription: Sendable, Hashable {
        public let method: String
        public let template: String
        public let access: RouteAccess
        public let placement: HandlerPlacement
    }

    private let root: Node
    private let logger: Logger
    /// Every registered route, in registration order.
    public let routes: [RouteDescription]

    fileprivate init(entries: [RouterBuilder.Entry], logger: Logger) {
        let root = Node()
        for entry in entries {
            var node = root
            for segment in entry.segments {
                switch segment {
                case .literal(let text):
                    if let next = node.literal(text) {
                        node = next
                    } else {
                        let next = Node()
                        node.literals.append((Array(text.utf8), next))
                        node = next
                    }
                case .parameter(let name):
                    if let existing = node.parameter {
                        precondition(existing.name == name, "conflicting parameter names at \(entry.template)")
                        node = existing.node
                    } else {
                        let next = Node()
                        node.parameter = (name, next)
                        node = next
                    }
                }
            }
            node.handlers[entry.method] = (entry.template, entry.placement, entry.handler)
        }
        self.root = root
        self.logger = logger
        self.routes = entries.map {
            RouteDescription(method: $0.method, template: $0.template, access: $0.access, placement: $0.placement)
        }
    }

    /// The outcome of matching a method and path.
    enum Match {
        case found(template: String, placement: HandlerPlacement, handler: HTTPHandler, parameters: RouteParameters)
        case methodNotAllowed(template: String, allowed: [String])
        case notFound
    }

    func match(method: String, path: String) -> Match {
        var node = root
        var parameters = RouteParameters()
        for rawSegment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            var raw = Substring(rawSegment)
            if let next = raw.withUTF8({ node.literal($0) }) {
                node = next
            } else if let (name, next) = node.parameter, !raw.isEmpty,
                let value = PercentDecoding.decode(raw, plusAsSpace: false)
            {
                parameters.append(name, value)
                node = next
            } else {
                return .notFound
            }
        }
        if let route = node.handlers[method] ?? (method == "HEAD" ? node.handlers["GET"] : nil) {
            return .found(
                template: route.template, placement: route.placement, handler: route.handler, parameters: parameters)
        }
        guard let template = node.handlers.values.first?.template else { return .notFound }
        var allowed = Set(node.handlers.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(template: template, allowed: allowed.sorted())
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPResponse {
        switch match(method: request.method, path: request.path) {
        case .notFound:
            var response = Problem.notFound().response
            response.route = "unmatched"
            return response
        case .methodNotAllowed(let template, let allowed):
            var response = Problem.methodNotAllowed(allowed: allowed).response
            response.route = template
            return response
        case .found(let template, let placement, let handler, let parameters):
            let context = RequestContext(
                requestId: request.requestId, route: template, parameters: parameters, logger: logger)
            var response: HTTPResponse
            do {
                switch placement {
                case .eventLoop:
                    response = try await handler(request, context)
                case .concurrentPool:
                    response = try await withTaskExecutorPreference(globalConcurrentExecutor) {
                        try await handler(request, context)
                    }
                }
            } catch let error as any ProblemConvertible {
                let problem = error.problem
                if problem.status >= 500, !(error is Problem) {
                    // A server-side failure an operator must see (a full disk, say); the error's
                    // description, never request data.
                    context.logger.error(
                        "request failed", metadata: ["error": "\(String(reflecting: type(of: error))): \(error)"])
                }
                response = problem.response
            } catch {
                // Unknown errors are logged (type and description only: no request data) and
                // answered with a generic 500 that reveals no internals.
                context.logger.error(
                    "unhandled error", metadata: ["error": "\(String(reflecting: type(of: error))): \(error)"])
                response = Problem.internalError().response
            }
            response.route = template
            return response
        }
    }
}

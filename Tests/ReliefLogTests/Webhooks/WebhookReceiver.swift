import Foundation
import HTTP
import JSON
import Logging
import Synchronization

@testable import ReliefLog

/// A webhook receiver on a loopback port (our own HTTP server), answering each request by the
/// next behaviour in its script (then 204), and recording what it got.
final class WebhookReceiver: Sendable {
    enum Behaviour: Sendable {
        case status(Int, headers: [String: String] = [:])
        /// Waits this long, then answers 500 (longer than the client's timeout: a timeout).
        case stall(milliseconds: Int)
    }

    struct Received: Sendable {
        var id: String
        var timestamp: String
        var signature: String
        var body: [UInt8]
        var status: Int
        var type: String { (try? JSON.parse(body))?.objectValue?["type"]?.stringValue ?? "" }
    }

    private struct State {
        var script: [Behaviour]
        var received: [Received] = []
    }

    private final class Shared: Sendable {
        let state: Mutex<State>
        init(_ state: State) { self.state = Mutex(state) }
    }

    private let shared: Shared
    private let server: HTTPServer
    let port: Int

    init(script: [Behaviour] = []) throws {
        let shared = Shared(State(script: script))
        var routes = RouterBuilder()
        routes.add("POST", "/hook", access: RouteAccess("public")) { request, _ in
            let received = Received(
                id: request.headers["webhook-id"] ?? "", timestamp: request.headers["webhook-timestamp"] ?? "",
                signature: request.headers["webhook-signature"] ?? "", body: request.body, status: 0)
            // Recorded on arrival (in the order requests came), the status once it is known.
            let (behaviour, index) = shared.state.withLock { state in
                state.received.append(received)
                let next = state.script.isEmpty ? Behaviour.status(204) : state.script.removeFirst()
                return (next, state.received.count - 1)
            }
            var status = 204
            var headers = HTTPHeaders()
            switch behaviour {
            case .status(let code, let extra):
                status = code
                for (name, value) in extra { headers.add(name, value) }
            case .stall(let milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
                status = 500
            }
            shared.state.withLock { $0.received[index].status = status }
            return HTTPResponse(status: status, headers: headers, body: status == 204 ? [] : Array("no".utf8))
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        server = HTTPServer(configuration: configuration, responder: routes.build(logger: logger), logger: logger)
        port = try server.start()
        self.shared = shared
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var received: [Received] { shared.state.withLock { $0.received } }

    /// The event ids answered with a 2xx, in the order they were answered.
    var acknowledged: [String] { received.filter { (200..<300).contains($0.status) }.map(\.id) }

    func stop() async { await server.shutdown() }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A loopback port on which nothing listens (bound, then closed).
func closedPort() async throws -> Int {
    var routes = RouterBuilder()
    routes.add("GET", "/", access: RouteAccess("public")) { _, _ in .empty(status: 204) }
    var logger = Logger(label: "closed")
    logger.logLevel = .critical
    let server = HTTPServer(
        configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), responder: routes.build(logger: logger),
        logger: logger)
    let port = try server.start()
    await server.shutdown()
    return port
}

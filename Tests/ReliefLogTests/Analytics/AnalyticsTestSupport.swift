import Foundation
import JSON
import Synchronization
import TestSupport
import Testing

@testable import ReliefLog

/// A settable clock (epoch milliseconds) injected as `AppConfiguration.clock`.
final class AnalyticsClock: Sendable {
    private let milliseconds: Mutex<Int64>

    init(_ timestamp: String) throws {
        milliseconds = Mutex(try #require(Timestamp.parse(timestamp)))
    }

    var now: Int64 { milliseconds.withLock { $0 } }

    func set(_ timestamp: String) throws {
        let value = try #require(Timestamp.parse(timestamp))
        milliseconds.withLock { $0 = value }
    }
}

/// Every HTTP call of the analytics tests goes through this function, so that adding an
/// `Authorization` header (or any other) later is a one-line change.
func analyticsCall(
    _ client: TestHTTPClient, _ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []
) async throws -> TestResponse {
    let content: [(String, String)] = body == nil ? [] : [("Content-Type", "application/json")]
    return try await client.request(method, path, headers: content + headers, body: body)
}

/// A running server with a fixed clock, and helpers that create records and read analytics.
final class AnalyticsHarness: Sendable {
    let app: TestApp
    let client: TestHTTPClient
    let clock: AnalyticsClock

    init(now: String) throws {
        let clock = try AnalyticsClock(now)
        self.clock = clock
        app = try TestApp { $0.clock = { clock.now } }
        client = try app.client()
    }

    /// Runs `body` against a fresh server and stops it afterwards, also when `body` throws.
    static func run(now: String, _ body: (AnalyticsHarness) async throws -> Void) async throws {
        let harness = try AnalyticsHarness(now: now)
        do {
            try await body(harness)
        } catch {
            await harness.app.stop()
            throw error
        }
        await harness.app.stop()
    }

    /// How many analytics results the server computed so far.
    var computations: Int { app.application.analytics.computations }

    func call(
        _ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        try await analyticsCall(client, method, path, body: body, headers: headers)
    }

    func get(_ path: String, ifNoneMatch: String? = nil) async throws -> TestResponse {
        try await call("GET", path, headers: ifNoneMatch.map { [("If-None-Match", $0)] } ?? [])
    }

    /// Creates a record (JSON body) and returns its id; requires 201.
    @discardableResult
    func create(
        _ collection: String, _ body: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int {
        let response = try await call("POST", "/v1/\(collection)", body: body)
        try #require(response.status == 201, "\(collection): \(response.text)", sourceLocation: sourceLocation)
        return try #require(response.object["id"] as? Int, sourceLocation: sourceLocation)
    }

    func patient(_ timezone: String = "UTC") async throws -> Int {
        try await create("patients", #"{"displayName": "P", "timezone": "\#(timezone)"}"#)
    }

    func therapist(_ name: String, license: String, active: Bool = true) async throws -> Int {
        try await create("therapists", #"{"name": "\#(name)", "licenseNumber": "\#(license)", "active": \#(active)}"#)
    }

    @discardableResult
    func episode(
        _ patientId: Int, _ startedAt: String, ended endedAt: String? = nil, intensity: Int, extra: String = ""
    ) async throws -> Int {
        let ended = endedAt.map { #", "endedAt": "\#($0)""# } ?? ""
        return try await create(
            "episodes",
            #"{"patientId": \#(patientId), "startedAt": "\#(startedAt)"\#(ended), "intensity": \#(intensity)\#(extra)}"#
        )
    }

    /// A session; professional when `therapist` is given. `pain`/`stress` are (before, after).
    @discardableResult
    func session(
        _ patientId: Int, _ startedAt: String, therapist: Int? = nil, minutes: Int = 30,
        techniques: [String] = ["scalp"],
        pain: (Int, Int)? = nil, stress: (Int, Int)? = nil
    ) async throws -> Int {
        var body = #"{"patientId": \#(patientId), "startedAt": "\#(startedAt)", "durationMinutes": \#(minutes)"#
        body += #", "techniques": [\#(techniques.map { "\"\($0)\"" }.joined(separator: ", "))]"#
        if let therapist { body += #", "therapistId": \#(therapist)"# }
        if let pain { body += #", "painBefore": \#(pain.0), "painAfter": \#(pain.1)"# }
        if let stress { body += #", "stressBefore": \#(stress.0), "stressAfter": \#(stress.1)"# }
        return try await create("sessions", body + "}")
    }

    /// GETs an analytics path, requires 200 with the analytics headers, and returns the body.
    func analytics(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let response = try await get(path)
        try #require(response.status == 200, "\(path): \(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/json; charset=utf-8", sourceLocation: sourceLocation)
        #expect(response.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
        #expect(response.header("ETag") != nil, sourceLocation: sourceLocation)
        return try JSON.parse(response.body)
    }
}

/// Expects `actual` to equal the JSON text `expected` exactly: same members, integers where
/// integers are expected and numbers with a fraction where those are (`6.0` ≠ `6`).
func expectJSON(_ actual: JSONValue, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let want = try JSON.parse(expected)
    if actual != want {
        Issue.record(
            "JSON differs:\n got: \(JSON.string(actual))\nwant: \(JSON.string(want))\n\(difference(actual, want, path: ""))",
            sourceLocation: sourceLocation)
    }
}

/// The first differing member, for a readable failure.
private func difference(_ a: JSONValue, _ b: JSONValue, path: String) -> String {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        for key in Set(x.keys).union(y.keys).sorted() {
            guard let u = x[key] else { return "\(path)/\(key): missing" }
            guard let v = y[key] else { return "\(path)/\(key): unexpected" }
            if u != v { return difference(u, v, path: "\(path)/\(key)") }
        }
    case (.array(let x), .array(let y)) where x.count == y.count:
        for (i, pair) in zip(x, y).enumerated() where pair.0 != pair.1 {
            return difference(pair.0, pair.1, path: "\(path)/\(i)")
        }
    default:
        break
    }
    return "\(path): \(JSON.string(a)) ≠ \(JSON.string(b))"
}

extension TestResponse {
    /// The `field`s of a problem's `errors`.
    var problemFields: [String] {
        (object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
    }
}

let note = #""note": "Observational summary of diary data; not medical advice.""#

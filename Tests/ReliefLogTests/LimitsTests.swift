import Foundation
import ReliefLog
import TestSupport
import Testing

/// Every input limit of docs/limits.md through the real server: a request at the limit is
/// judged on its content, one past it gets the limit's error naming the limit and where it was
/// passed, and nothing is written. Limits are set small so the files stay small.
@Suite("Input limits, at the limit and one past it")
struct LimitsTests {
    private func withApp(
        configure: @escaping (inout AppConfiguration) -> Void = { _ in },
        _ body: (TestApp, TestHTTPClient) async throws -> Void
    ) async throws {
        let app = try TestApp { configuration in
            configuration.clock = { 1_795_000_000_000 }  // 2026-11-18
            configure(&configuration)
        }
        do {
            try await body(app, try app.client())
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }

    /// Every record of the four collections, as the NDJSON export writes them.
    private func snapshot(_ app: TestApp) async throws -> String {
        var text = ""
        for collection in ["patients", "therapists", "episodes", "sessions"] {
            let response = try await app.client().get("/v1/\(collection)/export?format=ndjson")
            try #require(response.status == 200, "\(response.text)")
            text += collection + ":" + response.text
        }
        return text
    }

    private func importing(
        _ app: TestApp, _ collection: String, _ body: String, type: String
    ) async throws -> TestResponse {
        // A fresh connection each: a 413 may close the one it was sent on.
        try await app.client().request(
            "POST", "/v1/\(collection)/import", headers: [("Content-Type", type)], body: body)
    }

    /// The 413 of an import limit, with its key, value and line.
    private func expectImportLimit(
        _ response: TestResponse, _ limit: String, maximum: Int, line: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == 413, "\(response.text)", sourceLocation: sourceLocation)
        let object = response.object
        #expect(object["type"] as? String == "urn:relieflog:problem:import-too-large", sourceLocation: sourceLocation)
        #expect(object["limit"] as? String == limit, sourceLocation: sourceLocation)
        #expect(object["maximum"] as? Int == maximum, sourceLocation: sourceLocation)
        #expect(object["line"] as? Int == line, "\(response.text)", sourceLocation: sourceLocation)
        let detail = object["detail"] as? String ?? ""
        #expect(detail.contains("line \(line)") && detail.contains(limit), "\(detail)", sourceLocation: sourceLocation)
    }

    // MARK: JSON bodies

    @Test("JSON nesting: 64 levels are read (and judged), 65 are a 400 naming the limit and the byte")
    func jsonDepth() async throws {
        try await withApp { app, client in
            let before = try await snapshot(app)
            // The body object is level 1; `notes` holds 63 more (at the limit) or 64 (past it).
            func body(_ arrays: Int) -> String {
                #"{"displayName": "Ann", "notes": "# + String(repeating: "[", count: arrays)
                    + String(repeating: "]", count: arrays) + "}"
            }
            let atLimit = try await client.post("/v1/patients", body(63))
            #expect(atLimit.status == 422, "\(atLimit.text)")  // parsed; notes must be a string
            let past = try await client.post("/v1/patients", body(64))
            #expect(past.status == 400)
            let detail = past.object["detail"] as? String ?? ""
            #expect(detail.contains("nesting depth exceeds the limit of 64"), "\(detail)")
            #expect(detail.contains("at byte \(#"{"displayName": "Ann", "notes": "#.utf8.count + 63)"), "\(detail)")
            #expect(try await snapshot(app) == before)
        }
    }

    @Test("a JSON body of http.maxBodyBytes is read, one byte more is a 413 before it is read")
    func bodySize() async throws {
        try await withApp(configure: { $0.http.parserLimits.maxBodyBytes = 2_000 }) { app, client in
            let before = try await snapshot(app)
            func body(_ size: Int) -> String {
                let prefix = #"{"displayName": "Ann", "notes": ""#
                return prefix + String(repeating: "n", count: size - prefix.utf8.count - 2) + #""}"#
            }
            #expect(body(2_000).utf8.count == 2_000)
            let past = try await app.client().post("/v1/patients", body(2_001))
            #expect(past.status == 413, "\(past.text)")
            #expect(try await snapshot(app) == before)
            let atLimit = try await client.post("/v1/patients", body(2_000))
            #expect(atLimit.status == 201, "\(atLimit.text)")
        }
    }

    // MARK: Imports

    @Test("import.maxRows: CSV and NDJSON files of maxRows rows import, one more row is a 413 at its line")
    func importRows() async throws {
        try await withApp(configure: { $0.importLimits.maxRows = 3 }) { app, _ in
            let before = try await snapshot(app)
            let csv = { (rows: Int) in "displayName\r\n" + (1...rows).map { "P\($0)\r\n" }.joined() }
            expectImportLimit(
                try await importing(app, "patients", csv(4), type: "text/csv"), "import.maxRows", maximum: 3, line: 5)
            // Blank lines are no rows, but they count as lines.
            let ndjson = { (rows: Int) in (1...rows).map { #"{"displayName": "N\#($0)"}"# + "\n\n" }.joined() }
            expectImportLimit(
                try await importing(app, "patients", ndjson(4), type: "application/x-ndjson"), "import.maxRows",
                maximum: 3, line: 7)
            #expect(try await snapshot(app) == before)
            #expect(try await importing(app, "patients", csv(3), type: "text/csv").status == 200)
            #expect(try await importing(app, "patients", ndjson(3), type: "application/x-ndjson").status == 200)
        }
    }

    @Test("import.maxColumns: a CSV row of maxColumns cells is read, one cell more is a 413 at its line")
    func importColumns() async throws {
        try await withApp(configure: { $0.importLimits.maxColumns = 3 }) { app, _ in
            let before = try await snapshot(app)
            expectImportLimit(
                try await importing(
                    app, "patients", "displayName,notes,externalId\r\nA,n,x-1,extra\r\n", type: "text/csv"),
                "import.maxColumns", maximum: 3, line: 2)
            expectImportLimit(
                try await importing(
                    app, "patients", "displayName,notes,externalId,id\r\nA,n,x-1,\r\n", type: "text/csv"),
                "import.maxColumns", maximum: 3, line: 1)
            #expect(try await snapshot(app) == before)
            let atLimit = try await importing(
                app, "patients", "displayName,notes,externalId\r\nA,n,x-1\r\n", type: "text/csv")
            #expect(atLimit.status == 200, "\(atLimit.text)")
        }
    }

    @Test("import.maxFieldBytes: a cell of maxFieldBytes bytes is read, one byte more is a 413 at its line")
    func importFieldSize() async throws {
        try await withApp(configure: { $0.importLimits.maxFieldBytes = 100 }) { app, _ in
            let before = try await snapshot(app)
            // Quoted, with a doubled quote and a line break: the limit counts the unquoted bytes.
            let cell = { (bytes: Int) in #""a""b\#n"# + String(repeating: "é", count: (bytes - 4) / 2) + #"""# }
            let file = { (bytes: Int) in "displayName,notes\r\nA,x\r\nB,\(cell(bytes))\r\n" }
            expectImportLimit(
                try await importing(app, "patients", file(102), type: "text/csv"), "import.maxFieldBytes",
                maximum: 100, line: 3)
            let odd = "displayName,notes\r\nA,\(String(repeating: "x", count: 101))\r\n"
            expectImportLimit(
                try await importing(app, "patients", odd, type: "text/csv"), "import.maxFieldBytes", maximum: 100,
                line: 2)
            #expect(try await snapshot(app) == before)
            let atLimit = try await importing(app, "patients", file(100), type: "text/csv")
            #expect(atLimit.status == 200, "\(atLimit.text)")
            let alsoAtLimit = "displayName,notes\r\nA,\(String(repeating: "x", count: 100))\r\n"
            #expect(try await importing(app, "patients", alsoAtLimit, type: "text/csv").status == 200)
        }
    }

    @Test("import.maxLineBytes: an NDJSON line or CSV row of maxLineBytes bytes is read, one byte more is a 413")
    func importLineLength() async throws {
        try await withApp(configure: { $0.importLimits.maxLineBytes = 200 }) { app, _ in
            let before = try await snapshot(app)
            func line(_ bytes: Int, _ name: String) -> String {
                let prefix = #"{"displayName": "\#(name)", "notes": ""#
                return prefix + String(repeating: "n", count: bytes - prefix.utf8.count - 2) + #""}"#
            }
            #expect(line(200, "A").utf8.count == 200)
            expectImportLimit(
                try await importing(
                    app, "patients", line(200, "A") + "\r\n" + line(201, "B") + "\r\n", type: "application/x-ndjson"),
                "import.maxLineBytes", maximum: 200, line: 2)
            func row(_ bytes: Int, _ name: String) -> String {
                name + ",\"" + String(repeating: "n", count: bytes - name.utf8.count - 3) + "\"\r\n"
            }
            #expect(row(200, "A").utf8.count == 202)  // the line end is not counted
            expectImportLimit(
                try await importing(app, "patients", "displayName,notes\r\n" + row(201, "B"), type: "text/csv"),
                "import.maxLineBytes", maximum: 200, line: 2)
            #expect(try await snapshot(app) == before)
            let ndjson = try await importing(app, "patients", line(200, "A") + "\n", type: "application/x-ndjson")
            #expect(ndjson.status == 200, "\(ndjson.text)")
            let csv = try await importing(app, "patients", "displayName,notes\r\n" + row(200, "B"), type: "text/csv")
            #expect(csv.status == 200, "\(csv.text)")
        }
    }

    @Test("Migraine Buddy files keep the same limits: maxRows attacks import, one more is a 413 at its line")
    func migraineBuddyLimits() async throws {
        try await withApp(configure: {
            $0.importLimits.maxRows = 2
            $0.importLimits.maxFieldBytes = 50
        }) { app, client in
            let patient = try await client.createPatient()
            let before = try await snapshot(app)
            let header = "#,Started,Lasted,Pain Level,Notes\r\n"
            let attack = { (n: Int, note: String) in "\(n),2026-03-1\(n) 08:30,01h 00m,5,\(note)\r\n" }
            func send(_ body: String) async throws -> TestResponse {
                try await app.client().request(
                    "POST", "/v1/patients/\(patient)/import/migraine-buddy", headers: [("Content-Type", "text/csv")],
                    body: body)
            }
            // A title line before the table: lines count from the top of the file, rows from the header.
            let title = "Migraine Buddy export\r\n"
            expectImportLimit(
                try await send(title + header + attack(1, "a") + attack(2, "b") + attack(3, "c")), "import.maxRows",
                maximum: 2, line: 5)
            expectImportLimit(
                try await send(title + header + attack(1, String(repeating: "x", count: 51))), "import.maxFieldBytes",
                maximum: 50, line: 3)
            #expect(try await snapshot(app) == before)
            let atLimit = try await send(
                title + header + attack(1, String(repeating: "x", count: 50)) + attack(2, "b"))
            #expect(atLimit.status == 200, "\(atLimit.text)")
        }
    }

    // MARK: Query strings

    @Test("query strings: 50 parameters are read (and judged), 51 are a 400 naming the limit")
    func queryParameterCount() async throws {
        try await withApp { _, client in
            let query = { (count: Int) in (1...count).map { "p\($0)=1" }.joined(separator: "&") }
            let atLimit = try await client.get("/v1/patients?" + query(50))
            #expect(atLimit.status == 400)
            #expect((atLimit.object["errors"] as? [Any])?.count == 50, "each unknown parameter named")
            let past = try await client.get("/v1/patients?" + query(51))
            #expect(past.status == 400)
            #expect(past.object["detail"] as? String == "The query string has 51 parameters; at most 50 are allowed.")
        }
    }

    @Test("query strings: a value of 1024 decoded bytes is read (and judged), 1025 is a 400 naming the parameter")
    func queryParameterLength() async throws {
        try await withApp { _, client in
            _ = try await client.createPatient()
            // %41 is one decoded byte: the limit counts what the handler reads.
            let atLimit = try await client.get("/v1/patients?limit=1&cursor=" + String(repeating: "%41", count: 1024))
            #expect(atLimit.status == 400)
            #expect((atLimit.object["errors"] as? [[String: Any]])?.first?["field"] as? String == "/cursor")
            #expect((atLimit.object["detail"] as? String ?? "").contains("1024") == false, "\(atLimit.text)")
            let past = try await client.get("/v1/patients?limit=1&cursor=" + String(repeating: "%41", count: 1025))
            #expect(past.status == 400)
            #expect(
                past.object["detail"] as? String
                    == "Query parameter 2 is longer than 1024 bytes (name or value, decoded).")
            let errors = past.object["errors"] as? [[String: Any]]
            #expect(errors?.first?["field"] as? String == "/cursor")
            #expect(errors?.first?["message"] as? String == "is longer than 1024 bytes")
        }
    }

    @Test("the import limits are read from the configuration file and must be positive")
    func configuration() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("config.json")
        try #"{"import": {"maxRows": 7, "maxColumns": 8, "maxFieldBytes": 9, "maxLineBytes": 10}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        let limits = try AppConfiguration.load(flags: .init(configFile: path), environment: [:]).importLimits
        let values: [Int] = [limits.maxRows, limits.maxColumns, limits.maxFieldBytes, limits.maxLineBytes]
        #expect(values == [7, 8, 9, 10])
        try #"{"import": {"maxRows": 0}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) {
            try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        }
        try #"{"import": {"maxRow": 5}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) {
            try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        }
    }
}

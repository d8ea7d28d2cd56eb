import Foundation
import TestSupport
import Testing

/// Every HTTP call of the analytics tests goes through `send`, so a header that every request
/// needs (the coming `Authorization: Bearer`) is added in one place.
struct AnalyticsAPI: Sendable {
    let http: TestHTTPClient
    /// When set, every request carries `Authorization: Bearer <token>`.
    var bearerToken: String?

    init(_ http: TestHTTPClient, bearerToken: String? = nil) {
        self.http = http
        self.bearerToken = bearerToken
    }

    /// A new connection to the app. Once tokens exist, give it the app's admin token here
    /// (one line: `bearerToken: app.adminToken`) and every analytics test sends it.
    init(_ app: TestApp) throws {
        self.init(try app.client(), bearerToken: nil)
    }

    func send(
        _ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        var all = headers
        if let bearerToken { all.append(("Authorization", "Bearer \(bearerToken)")) }
        return try await http.request(method, path, headers: all, body: body)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send("GET", path, headers: headers)
    }

    /// Creates a record from a JSON object and returns its id; fails the test unless 201.
    func create(_ collection: String, _ body: [String: Any]) async throws -> Int {
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
        let response = try await send("POST", "/v1/\(collection)", body: text)
        try #require(response.status == 201, "POST /v1/\(collection) \(text): \(response.status) \(response.text)")
        return try #require(response.object["id"] as? Int)
    }

    /// Every item of a collection, following `nextCursor` page by page.
    func all(_ collection: String, limit: Int = 500) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var cursor: String?
        var pages = 0
        repeat {
            var path = "/v1/\(collection)?limit=\(limit)"
            if let cursor { path += "&cursor=\(Self.encode(cursor))" }
            let response = try await get(path)
            try #require(response.status == 200, "GET \(path): \(response.status) \(response.text)")
            items += try #require(response.object["items"] as? [[String: Any]])
            cursor = response.object["nextCursor"] as? String
            pages += 1
            try #require(pages < 10_000, "paging does not end")
        } while cursor != nil
        return items
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed)!
    }

    /// Reads back every row analytics use, as the API renders it, `limit` rows a page (an odd
    /// page size, so that generated diaries span several pages and page boundaries fall anywhere).
    func readAll(limit: Int = 97) async throws -> OracleData {
        func instant(_ value: Any?) throws -> Int64 {
            let text = try #require(value as? String)
            #expect(text.hasSuffix("Z"), "timestamps render in UTC: \(text)")
            return try #require(PropertyTimestamp.parse(text), "unparsable timestamp \(text)")
        }
        var data = OracleData()
        data.patients = try await all("patients", limit: limit).map {
            OraclePatient(id: $0["id"] as! Int, timezone: $0["timezone"] as! String)
        }
        data.therapists = try await all("therapists", limit: limit).map {
            OracleTherapist(id: $0["id"] as! Int, name: $0["name"] as! String, active: $0["active"] as! Bool)
        }
        for item in try await all("episodes", limit: limit) {
            data.episodes.append(
                OracleEpisode(
                    id: item["id"] as! Int, patientId: item["patientId"] as! Int,
                    startedAt: try instant(item["startedAt"]),
                    endedAt: item["endedAt"] is NSNull ? nil : try instant(item["endedAt"]),
                    intensity: item["intensity"] as! Int, aura: item["aura"] as! Bool,
                    symptoms: item["symptoms"] as! [String], triggers: item["triggers"] as! [String],
                    medications: (item["medications"] as! [[String: Any]]).map {
                        OracleMedication(className: $0["class"] as? String)
                    }))
        }
        for item in try await all("sessions", limit: limit) {
            data.sessions.append(
                OracleSession(
                    id: item["id"] as! Int, patientId: item["patientId"] as! Int,
                    therapistId: item["therapistId"] as? Int,
                    kind: item["kind"] as! String, startedAt: try instant(item["startedAt"]),
                    durationMinutes: item["durationMinutes"] as! Int, techniques: item["techniques"] as! [String],
                    painBefore: item["painBefore"] as? Int, painAfter: item["painAfter"] as? Int,
                    stressBefore: item["stressBefore"] as? Int, stressAfter: item["stressAfter"] as? Int))
        }
        return data
    }
}

/// Generates diaries for the oracle test: episodes around DST changes and local midnights,
/// multi-day and ongoing episodes, medications of every class, sessions of both kinds.
struct DiaryGenerator {
    var random: SplitMix64
    let now: Int64
    var counts = (patients: 0, therapists: 0, episodes: 0, sessions: 0)

    static let zones = [
        "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham", "UTC",
    ]
    static let symptoms = [
        "nausea", "vomiting", "photophobia", "phonophobia", "osmophobia", "dizziness", "neck_pain", "fatigue",
        "visual_disturbance",
    ]
    static let triggers = [
        "stress", "muscle_tension", "poor_sleep", "skipped_meal", "dehydration", "alcohol", "caffeine", "weather",
        "menstruation", "bright_light", "screen_time", "strong_smell", "own_trigger",
    ]
    static let classes = [
        "triptan", "ergot", "opioid", "combination_analgesic", "simple_analgesic", "nsaid", "gepant", "antiemetic",
        "other", "herbal",
    ]
    static let techniques = [
        "neck_shoulder", "scalp", "swedish", "trigger_point", "kneading", "stroking", "myofascial_release",
        "craniosacral", "deep_tissue", "own_technique",
    ]
    static let offsets = [0, 60, -300, 330, 765, -570, 840, -720]
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    init(seed: UInt64, now: Int64) {
        random = SplitMix64(seed: seed)
        self.now = now
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func ms(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &random) }

    /// A timestamp in a random offset, whole seconds or milliseconds.
    mutating func timestamp(_ milliseconds: Int64) -> String {
        PropertyTimestamp.format(
            milliseconds, offsetMinutes: random.pick(Self.offsets), fractionDigits: random.chance(0.8) ? 0 : 3)
    }

    /// Whole seconds (exact boundaries stay exact whatever precision the timestamp is written with).
    func second(_ milliseconds: Int64) -> Int64 { CivilDay.floorDivide(milliseconds, 1000) * 1000 }

    /// Daylight-saving changes of the zone within the last `span` before now.
    func transitions(_ days: ZoneDays, span: Int64) -> [Int64] {
        var result: [Int64] = []
        var date = Date(timeIntervalSince1970: TimeInterval(now - span) / 1000)
        while let next = days.zone.nextDaylightSavingTimeTransition(after: date),
            next.timeIntervalSince1970 * 1000 < Double(now)
        {
            result.append(Int64(next.timeIntervalSince1970 * 1000))
            date = next
        }
        return result
    }

    /// An episode start: anywhere in the span, around a DST change, around a local midnight, or recent.
    mutating func start(_ days: ZoneDays, transitions: [Int64], span: Int64) -> Int64 {
        min(unclampedStart(days, transitions: transitions, span: span), now + 12 * Self.hour)  // at most 1 day ahead is valid
    }

    private mutating func unclampedStart(_ days: ZoneDays, transitions: [Int64], span: Int64) -> Int64 {
        let kind = int(0...9)
        switch kind {
        case 4...5 where !transitions.isEmpty:
            return second(random.pick(transitions) + ms(-3 * Self.day...2 * Self.day))
        case 0...5: return second(now - ms(0...span))
        case 6, 7:
            let localDay = Int64(days.day(now)) - ms(0...(span / Self.day))
            return second(days.instant(localMilliseconds: localDay * Self.day + ms(-70 * 60_000...70 * 60_000)))
        default: return second(now - ms(-12 * Self.hour...40 * Self.day))
        }
    }

    mutating func patient(_ timezone: String) -> [String: Any] {
        counts.patients += 1
        var body: [String: Any] = [
            "displayName": random.pick(["Ann", "Łukasz", "美咲", "Zoë 🧠", "O'Neil"]) + " \(counts.patients)"
        ]
        // UTC patients sometimes rely on the default time zone.
        if timezone != "UTC" || random.chance() { body["timezone"] = timezone }
        return body
    }

    mutating func therapist(active: Bool) -> [String: Any] {
        counts.therapists += 1
        return [
            "name": random.pick(["Dana", "Jürgen", "Priya", "Mere"]) + " \(counts.therapists)",
            "licenseNumber": "LIC-\(counts.therapists)-\(random.next() % 100_000)",
            "active": active, "techniques": random.subset(Array(Self.techniques.dropLast()), min: 0),
        ]
    }

    mutating func episode(patientId: Int, startedAt: Int64) -> [String: Any] {
        counts.episodes += 1
        var body: [String: Any] = ["patientId": patientId, "startedAt": timestamp(startedAt), "intensity": int(0...10)]
        switch int(0...19) {
        case 0...3: break  // ongoing: no endedAt
        case 4: body["endedAt"] = NSNull()
        case 5: body["endedAt"] = timestamp(startedAt + 14 * Self.day)  // the longest allowed
        case 6: body["endedAt"] = timestamp(startedAt)  // zero length
        case 7...13: body["endedAt"] = timestamp(startedAt + ms(30 * 60_000...12 * Self.hour))
        case 14...16: body["endedAt"] = timestamp(startedAt + ms(12 * Self.hour...3 * Self.day))
        default: body["endedAt"] = timestamp(startedAt + ms(3 * Self.day...14 * Self.day))
        }
        if random.chance(0.3) { body["aura"] = random.chance() }
        if random.chance(0.8) { body["symptoms"] = random.subset(Self.symptoms) }
        if random.chance(0.8) { body["triggers"] = random.subset(Self.triggers) }
        if random.chance(0.6) {
            body["medications"] = (0..<int(1...3)).map { _ -> [String: Any] in
                var medication: [String: Any] = [
                    "name": random.pick(["Sumatriptan", "Ibuprofen", "Paracetamol", "Rimegepant", "Kräutertee"])
                ]
                if random.chance(0.85) { medication["class"] = random.pick(Self.classes) }
                if random.chance(0.5) { medication["doseMg"] = random.pick([50, 400, 2.5, 1000]) }
                if random.chance(0.3) { medication["effective"] = random.chance() }
                return medication
            }
        }
        if random.chance(0.3) { body["stressLevel"] = int(0...10) }
        return body
    }

    mutating func session(patientId: Int, therapists: [Int], startedAt: Int64) -> [String: Any] {
        counts.sessions += 1
        var body: [String: Any] = [
            "patientId": patientId, "startedAt": timestamp(startedAt), "durationMinutes": int(1...240),
            "techniques": random.subset(Self.techniques, min: 1),
        ]
        if random.chance(0.55) {
            body["kind"] = "professional"
            body["therapistId"] = random.pick(therapists)
        } else {
            body["kind"] = "self"
        }
        for key in ["painBefore", "painAfter", "stressBefore", "stressAfter"] where random.chance(0.8) {
            body[key] = int(0...10)
        }
        return body
    }
}

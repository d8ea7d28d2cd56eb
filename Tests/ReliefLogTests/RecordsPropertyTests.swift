import Foundation
import ReliefLog
import TestSupport
import Testing

/// Drawing helpers for generated records, on the shared seeded generator.
extension SplitMix64 {
    mutating func chance(_ probability: Double = 0.5) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &self)! }

    /// A random subset, in random order, of distinct values.
    mutating func subset<T>(_ values: [T], min: Int = 0) -> [T] {
        let count = Int.random(in: min...values.count, using: &self)
        return Array(values.shuffled(using: &self).prefix(count))
    }

    mutating func text(_ lengths: ClosedRange<Int>) -> String {
        let alphabet: [String] = [
            "a", "b", "Z", "q", " ", "-", "'", "é", "ü", "ß", "ø", "Ł", "ñ", "漢", "字", "あ", "한", "Ж", "λ", "ع",
            "😀", "🧠", "💆‍♀️", "👍🏽", "🇩🇪", "\"", "\\", "/", "1", "9",
        ]
        let count = Int.random(in: lengths, using: &self)
        var result = pick(["A", "b", "É", "Ö", "李", "😀"])
        for _ in 1..<max(count, 1) { result += pick(alphabet) }
        return result
    }
}

/// RFC 3339 timestamps written and read without Foundation's formatters, so both sides of a
/// comparison reduce to epoch milliseconds.
enum PropertyTimestamp {
    static func format(_ milliseconds: Int64, offsetMinutes: Int, fractionDigits: Int) -> String {
        let local = milliseconds + Int64(offsetMinutes) * 60_000
        let days = local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
        let msOfDay = local - days * 86_400_000
        let (y, m, d) = civil(fromDays: days)
        let seconds = msOfDay / 1000
        var text = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, Int(seconds / 3600), Int(seconds / 60 % 60),
            Int(seconds % 60))
        if fractionDigits > 0 {
            let millis = String(format: "%03d", Int(msOfDay % 1000))
            text += "." + millis.prefix(fractionDigits)
        }
        if offsetMinutes == 0 { return text + "Z" }
        let sign = offsetMinutes < 0 ? "-" : "+"
        return text + String(format: "%@%02d:%02d", sign, abs(offsetMinutes) / 60, abs(offsetMinutes) % 60)
    }

    static func parse(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= chars.count else { return nil }
            var value = 0
            for c in chars[from..<from + length] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 20, let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2),
            let h = number(11, 2), let mi = number(14, 2), let s = number(17, 2)
        else { return nil }
        var index = 19
        var millis = 0
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100
            while index < chars.count, let digit = number(index, 1) {
                millis += digit * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        guard index < chars.count else { return nil }
        if chars[index] == UInt8(ascii: "Z") {
            index += 1
        } else {
            guard let oh = number(index + 1, 2), let om = number(index + 4, 2) else { return nil }
            offset = (oh * 60 + om) * (chars[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        }
        guard index == chars.count else { return nil }
        let days = Int64(daysFromCivil(y, mo, d))
        return ((days * 86_400 + Int64(h * 3600 + mi * 60 + s)) * 1000 + Int64(millis)) - Int64(offset) * 60_000
    }

    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }
}

/// Generates valid request bodies and the representation each must come back as.
private struct RecordGenerator {
    var random: SplitMix64
    let now: Int64
    var serial = 0

    static let timezones = [
        "UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo",
    ]
    static let offsets = [0, 330, -480, 60, -300, 545, 840, -720, -210]
    static let symptoms = [
        "nausea", "vomiting", "photophobia", "phonophobia", "osmophobia", "dizziness", "neck_pain", "fatigue",
        "visual_disturbance",
    ]
    static let locations = ["left", "right", "bilateral", "frontal", "temporal", "occipital", "behind_eye", "neck"]
    static let triggers = [
        "stress", "muscle_tension", "poor_sleep", "skipped_meal", "dehydration", "alcohol", "caffeine", "weather",
        "menstruation", "bright_light", "screen_time", "strong_smell",
    ]
    static let reliefMeasures = ["self_massage", "warm_compress", "cold_pack", "dark_room", "sleep", "breathing"]
    static let medicationClasses = [
        "triptan", "ergot", "opioid", "combination_analgesic", "simple_analgesic", "nsaid", "gepant", "antiemetic",
        "other", "custom_class",
    ]
    static let techniques = [
        "neck_shoulder", "scalp", "swedish", "trigger_point", "kneading", "stroking", "myofascial_release",
        "craniosacral", "deep_tissue",
    ]
    static let areas = ["neck", "shoulders", "scalp", "upper_back", "face", "temples", "jaw"]
    static let oils = ["lavender", "peppermint", "eucalyptus", "rosemary", "chamomile"]

    mutating func unique(_ prefix: String) -> String {
        serial += 1
        return "\(prefix)-\(serial)-\(random.next() % 100_000)"
    }

    /// Sets `key` in the body when the generator decides to, and in `expected` either way.
    /// The value is generated either way, so the sequence of draws does not depend on the choice.
    mutating func optional(
        _ key: String, _ value: Any, default fallback: Any = NSNull(),
        body: inout [String: Any], expected: inout [String: Any]
    ) {
        if random.chance() {
            body[key] = value
            expected[key] = value
        } else if random.chance(0.2) {
            // Given explicitly as null (or as its default), it reads back as the default.
            body[key] = fallback
            expected[key] = fallback
        } else {
            expected[key] = fallback
        }
    }

    mutating func timestamp(_ milliseconds: Int64) -> String {
        let digits = random.pick([0, 0, 1, 2, 3])
        let precision: Int64 = [1000, 100, 10, 1][digits]
        let truncated = milliseconds - ((milliseconds % precision) + precision) % precision
        return PropertyTimestamp.format(truncated, offsetMinutes: random.pick(Self.offsets), fractionDigits: digits)
    }

    mutating func patient() -> (body: [String: Any], expected: [String: Any]) {
        var body: [String: Any] = [:]
        var expected: [String: Any] = [:]
        let name = random.text(1...40)
        body["displayName"] = name
        expected["displayName"] = name
        optional("timezone", random.pick(Self.timezones), default: "UTC", body: &body, expected: &expected)
        optional("birthYear", Int.random(in: 1900...2020, using: &random), body: &body, expected: &expected)
        optional("notes", random.text(0...200), body: &body, expected: &expected)
        optional("externalId", unique("P"), body: &body, expected: &expected)
        return (body, expected)
    }

    mutating func therapist() -> (body: [String: Any], expected: [String: Any]) {
        var body: [String: Any] = [:]
        var expected: [String: Any] = [:]
        for (key, value) in [("name", random.text(1...30)), ("licenseNumber", unique("L"))] as [(String, Any)] {
            body[key] = value
            expected[key] = value
        }
        optional(
            "licenseJurisdiction", random.pick(["US-CA", "US-NY", "DE-BE", "GB"]), body: &body, expected: &expected)
        optional(
            "certifications", (0..<Int.random(in: 0...3, using: &random)).map { _ in random.text(1...20) },
            default: [String](),
            body: &body, expected: &expected)
        optional("yearsExperience", Int.random(in: 0...45, using: &random), body: &body, expected: &expected)
        optional("migraineExperience", random.chance(), default: false, body: &body, expected: &expected)
        optional("techniques", random.subset(Self.techniques), default: [String](), body: &body, expected: &expected)
        optional("email", "t\(random.next() % 10_000)@example.org", body: &body, expected: &expected)
        optional("phone", "+49 30 \(random.next() % 10_000_000)", body: &body, expected: &expected)
        optional("active", random.chance(), default: true, body: &body, expected: &expected)
        optional("externalId", unique("T"), body: &body, expected: &expected)
        return (body, expected)
    }

    mutating func medication() -> [String: Any] {
        var body: [String: Any] = [:]
        var expected: [String: Any] = [:]
        body["name"] = random.text(1...30)
        expected["name"] = body["name"]
        optional("class", random.pick(Self.medicationClasses), body: &body, expected: &expected)
        optional("doseMg", random.pick([2.5, 50, 100, 400, 0.25, 1000, 12.5]), body: &body, expected: &expected)
        optional(
            "takenAt", timestamp(now - Int64.random(in: 0...365 * 86_400_000, using: &random)), body: &body,
            expected: &expected)
        optional("effective", random.chance(), body: &body, expected: &expected)
        return ["body": body, "expected": expected]
    }

    mutating func episode(patientId: Int) -> (body: [String: Any], expected: [String: Any]) {
        var body: [String: Any] = ["patientId": patientId]
        var expected: [String: Any] = ["patientId": patientId]
        let start = now - Int64.random(in: 0...365 * 86_400_000, using: &random)
        body["startedAt"] = timestamp(start)
        expected["startedAt"] = body["startedAt"]
        let intensity = Int.random(in: 0...10, using: &random)
        body["intensity"] = intensity
        expected["intensity"] = intensity
        let startMs = PropertyTimestamp.parse(body["startedAt"] as! String)!
        optional(
            "endedAt", timestamp(startMs + Int64.random(in: 0...14 * 86_400_000, using: &random)), body: &body,
            expected: &expected)
        optional("aura", random.chance(), default: false, body: &body, expected: &expected)
        optional("symptoms", random.subset(Self.symptoms), default: [String](), body: &body, expected: &expected)
        optional("locations", random.subset(Self.locations), default: [String](), body: &body, expected: &expected)
        optional("triggers", random.subset(Self.triggers), default: [String](), body: &body, expected: &expected)
        optional(
            "reliefMeasures", random.subset(Self.reliefMeasures), default: [String](), body: &body, expected: &expected)
        var medications: [[String: Any]] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) { medications.append(medication()) }
        if random.chance(0.7) {
            body["medications"] = medications.map { $0["body"]! }
            expected["medications"] = medications.map { $0["expected"]! }
        } else {
            expected["medications"] = [Any]()
        }
        optional("stressLevel", Int.random(in: 0...10, using: &random), body: &body, expected: &expected)
        optional("disability", random.pick(["none", "mild", "moderate", "severe"]), body: &body, expected: &expected)
        optional("notes", random.text(0...300), body: &body, expected: &expected)
        optional("externalId", unique("E"), body: &body, expected: &expected)
        return (body, expected)
    }

    mutating func session(patientId: Int, therapistIds: [Int]) -> (body: [String: Any], expected: [String: Any]) {
        var body: [String: Any] = ["patientId": patientId]
        var expected: [String: Any] = ["patientId": patientId]
        if random.chance() {
            let therapistId = random.pick(therapistIds)
            body["kind"] = "professional"
            body["therapistId"] = therapistId
        } else {
            body["kind"] = "self"
            if random.chance(0.3) { body["therapistId"] = NSNull() }
        }
        expected["kind"] = body["kind"]
        expected["therapistId"] = body["therapistId"] ?? NSNull()
        body["startedAt"] = timestamp(now - Int64.random(in: 0...365 * 86_400_000, using: &random))
        expected["startedAt"] = body["startedAt"]
        body["durationMinutes"] = Int.random(in: 1...240, using: &random)
        expected["durationMinutes"] = body["durationMinutes"]
        body["techniques"] = random.subset(Self.techniques, min: 1)
        expected["techniques"] = body["techniques"]
        optional("areas", random.subset(Self.areas), default: [String](), body: &body, expected: &expected)
        optional("pressure", random.pick(["light", "medium", "firm"]), body: &body, expected: &expected)
        optional("triggerPointsReleased", Int.random(in: 0...30, using: &random), body: &body, expected: &expected)
        optional("essentialOils", random.subset(Self.oils), default: [String](), body: &body, expected: &expected)
        optional("warmCompress", random.chance(), default: false, body: &body, expected: &expected)
        optional("breathingExercise", random.chance(), default: false, body: &body, expected: &expected)
        for key in ["painBefore", "painAfter", "stressBefore", "stressAfter"] {
            optional(key, Int.random(in: 0...10, using: &random), body: &body, expected: &expected)
        }
        optional("notes", random.text(0...300), body: &body, expected: &expected)
        optional("externalId", unique("S"), body: &body, expected: &expected)
        expected["recordedBy"] = "clinic"  // the tests create with an admin token
        return (body, expected)
    }
}

/// Fields holding timestamps, compared as instants.
private let timestampFields: Set<String> = ["startedAt", "endedAt", "takenAt"]

/// Compares what came back with what was expected, member by member; returns the differences.
private func differences(_ expected: Any, _ actual: Any?, path: String = "") -> [String] {
    switch expected {
    case let object as [String: Any]:
        guard let actualObject = actual as? [String: Any] else {
            return ["\(path): expected an object, got \(String(describing: actual))"]
        }
        var result: [String] = []
        for (key, value) in object {
            if timestampFields.contains(key), let text = value as? String {
                let sent = PropertyTimestamp.parse(text)
                let received = (actualObject[key] as? String).flatMap(PropertyTimestamp.parse)
                if sent == nil || sent != received || (actualObject[key] as? String)?.hasSuffix("Z") != true {
                    result.append("\(path)/\(key): sent \(text), got \(String(describing: actualObject[key]))")
                }
            } else {
                result += differences(value, actualObject[key], path: "\(path)/\(key)")
            }
        }
        let extra = Set(actualObject.keys).subtracting(object.keys).subtracting(["id", "createdAt", "updatedAt"])
        if !extra.isEmpty { result.append("\(path): unexpected members \(extra.sorted())") }
        return result
    case let array as [Any]:
        guard let actualArray = actual as? [Any], actualArray.count == array.count else {
            return ["\(path): expected \(array), got \(String(describing: actual))"]
        }
        return zip(array, actualArray).enumerated().flatMap { index, pair in
            differences(pair.0, pair.1, path: "\(path)/\(index)")
        }
    case is NSNull:
        return actual is NSNull ? [] : ["\(path): expected null, got \(String(describing: actual))"]
    case let flag as Bool:
        guard let value = actual as? Bool, value == flag else {
            return ["\(path): expected \(flag), got \(String(describing: actual))"]
        }
        return []
    case let int as Int:
        return (actual as? NSNumber)?.doubleValue == Double(int)
            ? [] : ["\(path): expected \(int), got \(String(describing: actual))"]
    case let double as Double:
        return (actual as? NSNumber)?.doubleValue == double
            ? [] : ["\(path): expected \(double), got \(String(describing: actual))"]
    case let text as String:
        return actual as? String == text
            ? [] : ["\(path): expected \(text.debugDescription), got \(String(describing: actual))"]
    default:
        return ["\(path): cannot compare \(expected)"]
    }
}

@Suite("Records: generated valid records round-trip")
struct RecordsPropertyTests {
    static let seed: UInt64 = 0x5EED_2026_0001
    static let perKind = 60

    @Test("randomly generated valid records round-trip through create, get and list")
    func roundTrip() async throws {
        let now: Int64 = 1_790_000_000_000
        let app = try TestApp { $0.clock = { now } }
        do {
            try await run(app: app, now: now)
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }

    private func run(app: TestApp, now: Int64) async throws {
        let client = try app.client()
        var generator = RecordGenerator(random: SplitMix64(seed: Self.seed), now: now)
        var created: [String: [(id: Int, expected: [String: Any], representation: [String: Any])]] = [:]

        func roundTrip(_ collection: String, _ body: [String: Any], _ expected: [String: Any]) async throws -> Int {
            let data = try JSONSerialization.data(withJSONObject: body)
            let text = String(decoding: data, as: UTF8.self)
            let response = try await client.post("/v1/\(collection)", text)
            try #require(response.status == 201, "seed \(Self.seed) \(collection) \(text): \(response.text)")
            let id = try #require(response.object["id"] as? Int)
            let read = try await client.get("/v1/\(collection)/\(id)")
            try #require(read.status == 200)
            let problems = differences(expected, read.object)
            #expect(problems.isEmpty, "seed \(Self.seed) \(collection) \(text): \(problems)")
            #expect(read.body == response.body, "the created representation is the one read back")
            created[collection, default: []].append((id, expected, read.object))
            return id
        }

        var patientIds: [Int] = []
        for _ in 0..<Self.perKind {
            let (body, expected) = generator.patient()
            patientIds.append(try await roundTrip("patients", body, expected))
        }
        var therapistIds: [Int] = []
        for _ in 0..<Self.perKind {
            let (body, expected) = generator.therapist()
            therapistIds.append(try await roundTrip("therapists", body, expected))
        }
        // Few patients carry the diary records, so the patientId filter has something to select.
        let diaryPatients = Array(patientIds.prefix(3))
        for _ in 0..<Self.perKind {
            let (body, expected) = generator.episode(patientId: generator.random.pick(diaryPatients))
            _ = try await roundTrip("episodes", body, expected)
        }
        for _ in 0..<Self.perKind {
            let (body, expected) = generator.session(
                patientId: generator.random.pick(diaryPatients), therapistIds: therapistIds)
            _ = try await roundTrip("sessions", body, expected)
        }

        for (collection, records) in created {
            try await expectListed(client, "/v1/\(collection)?limit=500", records.map { ($0.id, $0.representation) })
        }
        for patientId in diaryPatients {
            for collection in ["episodes", "sessions"] {
                let mine = created[collection, default: []].filter { $0.expected["patientId"] as? Int == patientId }
                try await expectListed(
                    client, "/v1/\(collection)?limit=500&patientId=\(patientId)",
                    mine.map { ($0.id, $0.representation) })
            }
        }
    }

    /// Every record appears exactly once in the list, as its GET showed it, and nothing else does.
    private func expectListed(_ client: TestHTTPClient, _ path: String, _ records: [(Int, [String: Any])]) async throws
    {
        let response = try await client.get(path)
        try #require(response.status == 200, "\(path): \(response.text)")
        let items = try #require(response.object["items"] as? [[String: Any]])
        #expect(response.object["nextCursor"] is NSNull, "\(path)")
        var byId: [Int: [[String: Any]]] = [:]
        for item in items { byId[item["id"] as? Int ?? -1, default: []].append(item) }
        #expect(Set(byId.keys) == Set(records.map(\.0)), "\(path)")
        for (id, representation) in records {
            let listed = byId[id] ?? []
            #expect(listed.count == 1, "\(path): id \(id) listed \(listed.count) times")
            if let item = listed.first {
                let problems = differences(representation, item)
                #expect(problems.isEmpty, "\(path): id \(id) differs from its GET: \(problems)")
            }
        }
    }
}

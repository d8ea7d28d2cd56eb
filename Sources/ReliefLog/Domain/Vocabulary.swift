import Foundation

/// The known slugs of the contract's vocabulary fields (API.md "Resources").
///
/// Open vocabularies (symptoms, triggers, techniques, ...) accept any slug, known or not,
/// and analytics count them as given; the lists here document the known ones and feed the
/// OpenAPI examples. Closed vocabularies (`pressure`, `disability`, `kind`) accept only
/// their listed values.
enum Vocabulary {
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
        "other",
    ]
    static let techniques = [
        "neck_shoulder", "scalp", "swedish", "trigger_point", "kneading", "stroking", "myofascial_release",
        "craniosacral", "deep_tissue",
    ]
    static let areas = ["neck", "shoulders", "scalp", "upper_back", "face", "temples", "jaw"]
    static let essentialOils = ["lavender", "peppermint"]

    /// Closed: `pressure` of a session.
    static let pressures = ["light", "medium", "firm"]
    /// Closed: `disability` of an episode.
    static let disabilities = ["none", "mild", "moderate", "severe"]
    /// Closed: `kind` of a session.
    static let sessionKinds = ["professional", "self"]
    /// Closed, server-managed: `recordedBy` of a session (who entered it).
    static let recorders = ["patient", "clinic"]
}

/// The slug rule of vocabulary fields: `^[a-z][a-z0-9_]{0,39}$` (API.md "Conventions").
enum Slug {
    static let maximumLength = 40

    static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
            utf8.count <= maximumLength
        else { return false }
        return utf8.dropFirst().allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
    }
}

/// IANA time zone names (a patient's `timezone` defines their calendar days).
enum TimeZoneName {
    /// The identifiers Foundation lists (its ICU data), plus `UTC`.
    static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"])

    /// Whether `name` is an IANA time zone name this system can use.
    ///
    /// `TimeZone(identifier:)` alone is too lenient: it also accepts abbreviations such as
    /// "EST" and offsets such as "GMT+1", which are not IANA names and whose meaning varies.
    /// The listed identifiers alone are too strict: ICU lists some zones under their older
    /// names only (`Asia/Calcutta`, not `Asia/Kolkata`). So a name is accepted when it is
    /// listed, is `UTC`, or is an `Area/Location` name that Foundation loads under exactly
    /// that name.
    static func isValid(_ name: String) -> Bool {
        if known.contains(name) { return name == "UTC" || TimeZone(identifier: name) != nil }
        guard name.utf8.contains(UInt8(ascii: "/")) else { return false }
        return TimeZone(identifier: name)?.identifier == name
    }
}

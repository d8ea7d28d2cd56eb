import JSON

// JSON Schemas of the analytics responses, exactly as `Analytics/*` renders them: every member
// is always present (null where a mean is over nothing), and nothing else is sent.

extension OpenAPI {
    /// `from`/`to` of analytics: a date or an RFC 3339 timestamp.
    static let analyticsDateSchema: JSONValue = [
        "type": "string",
        "description": "A date (YYYY-MM-DD) or an RFC 3339 timestamp with an offset (write + as %2B).",
        "anyOf": [["format": "date"], ["format": "date-time"]],
    ]

    static let ifNoneMatchParameter = ParameterSpec(
        name: "If-None-Match", location: .header, required: false,
        description:
            "Entity tags of cached copies, or *; 304 when one is current. Any value is accepted: a malformed member matches nothing.",
        schema: ["type": "string"])
}

extension Schemas {
    /// An object whose members are all required, in this order, and no others.
    static func exact(_ description: String, _ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var properties = JSONObject()
        for (name, schema) in members { properties[name] = schema }
        return [
            "type": "object", "description": .string(description), "additionalProperties": false,
            "required": .array(members.map { .string($0.key) }),
            "properties": .object(properties),
        ]
    }

    static let count: JSONValue = ["type": "integer", "minimum": 0]
    /// A number rounded to 2 decimals, or null (a mean over nothing).
    static let roundedOrNull: JSONValue = [
        "type": ["number", "null"], "description": "Rounded to 2 decimals; null over nothing.",
    ]
    static let rounded2: JSONValue = ["type": "number", "description": "Rounded to 2 decimals."]
    static let date: JSONValue = ["type": "string", "format": "date"]
    static let note: JSONValue = ["type": "string", "const": .string(analyticsNote)]

    static var analytics: JSONObject {
        var schemas = JSONObject()
        schemas["AnalyticsSummary"] = summary
        schemas["AnalyticsTrends"] = trends
        schemas["AnalyticsPeriod"] = period
        schemas["AnalyticsMassageEffect"] = massageEffect
        schemas["AnalyticsOverview"] = overview
        schemas["AnalyticsTechniques"] = techniques
        schemas["AnalyticsTherapists"] = therapists
        return schemas
    }

    static func ranked(_ name: String) -> JSONValue {
        [
            "type": "array", "maxItems": 10,
            "items": exact(
                "Episodes in the window listing it, and their share of those episodes.",
                [
                    name: slug, "count": ["type": "integer", "minimum": 1], "share": rounded2,
                ]),
        ]
    }

    static let summary = exact(
        "Summary of one patient's window of local dates [from, to).",
        [
            "patientId": integer(1),
            "from": date,
            "to": date,
            "days": ["type": "integer", "minimum": 1],
            "episodes": count,
            "migraineDays": count,
            "monthlyMigraineDays": rounded2,
            "meanIntensity": roundedOrNull,
            "medianIntensity": roundedOrNull,
            "meanDurationHours": roundedOrNull,
            "auraEpisodes": count,
            "topTriggers": ranked("trigger"),
            "topSymptoms": ranked("symptom"),
            "medicationDays": count,
            "medicationOveruse": [
                "type": "array",
                "items": exact(
                    "Days with a medication of this class (ICHD-3 8.2 thresholds).",
                    [
                        "class": slug,
                        "days": ["type": "integer", "minimum": 1],
                        "daysPer30": rounded2,
                        "threshold": ["type": ["integer", "null"], "enum": [10, 15, nil]],
                        "exceeded": boolean,
                    ]),
            ],
            "sessions": count,
            "professionalSessions": count,
            "selfSessions": count,
            "sessionMinutes": count,
            "meanPainDrop": roundedOrNull,
            "meanStressDrop": roundedOrNull,
            "warnings": warnings(
                WindowWarning.summary.map(\.rawValue),
                "Why the window's figures may say little (thresholds in docs/analytics-definitions.md); empty when none."
            ),
            "note": note,
        ])

    /// A list of warning codes, each at most once, in the order `codes` lists them.
    static func warnings(_ codes: [String], _ description: String) -> JSONValue {
        [
            "type": "array", "uniqueItems": true, "description": .string(description),
            "items": ["type": "string", "enum": .array(codes.map { .string($0) })],
        ]
    }

    static let trends = exact(
        "Buckets of one patient's window of local dates [from, to).",
        [
            "patientId": integer(1),
            "bucket": ["type": "string", "enum": ["day", "week", "month"]],
            "from": date,
            "to": date,
            "buckets": [
                "type": "array",
                "items": exact(
                    "A calendar bucket clipped to the window: [start, end).",
                    [
                        "start": date,
                        "end": date,
                        "episodes": count,
                        "migraineDays": count,
                        "meanIntensity": roundedOrNull,
                        "sessions": count,
                        "sessionMinutes": count,
                        "meanPainDrop": roundedOrNull,
                        "peakIntensity": [
                            "type": ["integer", "null"], "minimum": 0, "maximum": 10,
                            "description":
                                "The highest intensity of the episodes covering any date of the bucket; null when none does.",
                        ],
                    ]),
            ],
            "trend": exact(
                "Least-squares slopes per bucket; null with fewer than 2 points.",
                [
                    "migraineDaysSlope": roundedOrNull,
                    "meanIntensitySlope": roundedOrNull,
                ]),
            "warnings": warnings(
                WindowWarning.trends.map(\.rawValue),
                "Why the buckets and slopes may say little (thresholds in docs/analytics-definitions.md); empty when none."
            ),
            "note": note,
        ])

    static let period = exact(
        "A baseline or follow-up window of local dates [from, to).",
        [
            "from": date,
            "to": date,
            "days": count,
            "migraineDays": count,
            "monthlyMigraineDays": roundedOrNull,
            "episodes": count,
            "meanIntensity": roundedOrNull,
        ])

    static let massageEffect = exact(
        "Before/after comparison around the patient's first session.",
        [
            "patientId": integer(1),
            "firstSessionAt": nullable(dateTime),
            "baseline": ["anyOf": [OpenAPI.ref("AnalyticsPeriod"), ["type": "null"]]],
            "followUp": ["anyOf": [OpenAPI.ref("AnalyticsPeriod"), ["type": "null"]]],
            "mmdChange": roundedOrNull,
            "mmdPercentChange": roundedOrNull,
            "responder50": ["type": ["boolean", "null"]],
            "sessions": count,
            "meanPainDrop": roundedOrNull,
            "meanStressDrop": roundedOrNull,
            "episodesWithin72hPerSession": roundedOrNull,
            "baselineEpisodesPer72h": roundedOrNull,
            "byTechnique": [
                "type": "array",
                "items": exact(
                    "Sessions listing this technique.",
                    [
                        "technique": slug,
                        "sessions": ["type": "integer", "minimum": 1],
                        "meanPainDrop": roundedOrNull,
                        "meanStressDrop": roundedOrNull,
                    ]),
            ],
            "warnings": [
                "type": "array",
                "description":
                    "Why the comparison may not say much (thresholds in docs/analytics-definitions.md); empty when none.",
                "items": [
                    "type": "string",
                    "enum": .array(MassageEffectAnalysis.Warning.allCases.map { .string($0.rawValue) }),
                ],
            ],
            "note": note,
        ])

    static let overview = exact(
        "Clinic-wide figures over a window of UTC dates [from, to).",
        [
            "from": date,
            "to": date,
            "days": ["type": "integer", "minimum": 1],
            "patients": count,
            "activeTherapists": count,
            "episodes": count,
            "sessions": count,
            "meanIntensity": roundedOrNull,
            "meanPainDrop": roundedOrNull,
            "previous": exact(
                "The same figures over the window of the same length just before.",
                [
                    "from": date,
                    "to": date,
                    "days": ["type": "integer", "minimum": 1],
                    "episodes": count,
                    "sessions": count,
                    "meanIntensity": roundedOrNull,
                    "meanPainDrop": roundedOrNull,
                ]),
            "warnings": warnings(
                WindowWarning.overview.map(\.rawValue),
                "Why the figures or their comparison with previous may say little (thresholds in docs/analytics-definitions.md); empty when none."
            ),
            "note": note,
        ])

    static func grouped(_ description: String, _ item: JSONValue) -> JSONValue {
        exact(
            description,
            [
                "from": date,
                "to": date,
                "days": ["type": "integer", "minimum": 1],
                "items": ["type": "array", "items": item],
                "warnings": warnings(
                    WindowWarning.groups.map(\.rawValue),
                    "Why the counts may say little (docs/analytics-definitions.md); empty when none."),
                "note": note,
            ])
    }

    static let techniques = grouped(
        "Sessions per technique over a window of UTC dates [from, to).",
        exact(
            "Sessions listing this technique.",
            [
                "technique": slug,
                "sessions": ["type": "integer", "minimum": 1],
                "patients": ["type": "integer", "minimum": 1],
                "meanPainDrop": roundedOrNull,
                "meanStressDrop": roundedOrNull,
            ]))

    static let therapists = grouped(
        "Professional sessions per therapist over a window of UTC dates [from, to).",
        exact(
            "One therapist's sessions.",
            [
                "therapistId": integer(1),
                "name": ["type": "string"],
                "sessions": ["type": "integer", "minimum": 1],
                "patients": ["type": "integer", "minimum": 1],
                "meanPainDrop": roundedOrNull,
                "meanStressDrop": roundedOrNull,
            ]))
}

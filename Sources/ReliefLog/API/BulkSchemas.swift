import JSON

extension Schemas {
    /// The bodies of the bulk routes.
    static var bulk: [(String, JSONValue)] {
        let count: JSONValue = ["type": "integer", "minimum": 0]
        return [
            (
                "ImportResult",
                [
                    "type": "object",
                    "description":
                        "What an import wrote (or with dryRun, would write). unchanged counts rows of onConflict=update whose stored record already had these fields.",
                    "required": ["inserted", "updated", "skipped", "unchanged", "dryRun"],
                    "properties": [
                        "inserted": count, "updated": count, "skipped": count, "unchanged": count,
                        "dryRun": ["type": "boolean"],
                        "unmapped": [
                            "type": "object",
                            "description":
                                "Migraine Buddy only: per field, the values that matched no known slug and were kept as slugs of their own.",
                            "additionalProperties": ["type": "array", "items": ["type": "string"]],
                        ],
                    ],
                ]
            )
        ]
    }
}

import JSON

/// Reads the members of one JSON object of a request body, collecting every problem into
/// `errors` under the member's JSON Pointer instead of stopping at the first, so one 422
/// lists every failing field (API.md "Errors").
///
/// Every reader returns `nil` (or the default) after recording an error, and the caller
/// builds its result only when `errors` stayed empty. `null` counts as absent: an optional
/// member that is `null` reads as `nil` (RFC 7386 merge patches remove members the same way).
struct ObjectReader {
    let object: JSONObject
    /// Where `object` is in the request body: `""` for the body, `/medications/0` for an item.
    let base: JSONPointer
    var errors: FieldErrors

    /// The server-managed members (API.md "Conventions"): refused in every request body.
    static let managedFields: Set<String> = ["id", "createdAt", "updatedAt"]

    /// Starts reading `object`; every member not in `known` is an error right away (unknown
    /// members are refused so that a typo never silently drops data).
    init(
        _ object: JSONObject, at base: JSONPointer = .root, known: Set<String>, managed: Set<String> = [],
        errors: FieldErrors = FieldErrors()
    ) {
        self.object = object
        self.base = base
        self.errors = errors
        for key in object.keys where !known.contains(key) {
            if base.tokens.isEmpty, Self.managedFields.contains(key) || managed.contains(key) {
                self.errors.add(base.appending(key), "is managed by the server")
            } else {
                self.errors.add(base.appending(key), "is not a known field")
            }
        }
    }

    func pointer(_ key: String) -> JSONPointer { base.appending(key) }

    mutating func fail(_ key: String, _ message: String) {
        errors.add(base.appending(key), message)
    }

    /// The member's value, `nil` when absent or `null`; a required one records "is required".
    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "is required") }
            return nil
        }
        return value
    }

    // MARK: Strings

    /// A string of `length` Unicode scalars (as SQLite's `length()` counts them). With
    /// `notBlank`, a string of only white space is refused too.
    mutating func string(
        _ key: String, required: Bool = false, length: ClosedRange<Int>, notBlank: Bool = false
    ) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string")
            return nil
        }
        guard let problem = Self.lengthProblem(text, length) else {
            if notBlank, text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                fail(key, "must not be blank")
                return nil
            }
            return text
        }
        fail(key, problem)
        return nil
    }

    /// The problem with a stored string of `length` scalars, or `nil`. U+0000 is refused too:
    /// SQLite's `length()` stops at it, so the stored length checks would misjudge the text.
    static func lengthProblem(_ text: String, _ length: ClosedRange<Int>) -> String? {
        // Count scalars only as far as needed: a 10 MB string fails after `upperBound + 1`.
        var count = 0
        for scalar in text.unicodeScalars {
            if scalar == "\u{0}" { return nulMessage }
            count += 1
            if count > length.upperBound { break }
        }
        guard !length.contains(count) else { return nil }
        if length.lowerBound <= 0 { return "must be at most \(length.upperBound) characters" }
        if length.lowerBound == 1, count == 0 { return "must not be empty" }
        return "must be \(length.lowerBound) to \(length.upperBound) characters"
    }

    /// A string that must be one of `values` (a closed vocabulary).
    mutating func oneOf(_ key: String, required: Bool = false, _ values: [String]) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string")
            return nil
        }
        guard values.contains(text) else {
            fail(key, "must be one of: \(values.joined(separator: ", "))")
            return nil
        }
        return text
    }

    /// A slug (`^[a-z][a-z0-9_]{0,39}$`); unknown slugs are accepted.
    mutating func slug(_ key: String, required: Bool = false) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string")
            return nil
        }
        guard Slug.isValid(text) else {
            fail(key, Self.slugMessage)
            return nil
        }
        return text
    }

    static let nulMessage = "must not contain U+0000"

    static let slugMessage =
        "must be a slug: a lowercase letter, then up to 39 lowercase letters, digits or underscores"

    // MARK: Numbers and booleans

    /// An integer within `range`: an integer literal or a number with an integral value (`5.0`,
    /// `5e0`), as JSON Schema's `integer` reads it; `5.5` and `"5"` are refused.
    mutating func integer(_ key: String, required: Bool = false, _ range: ClosedRange<Int64>) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.integralValue else {
            fail(key, "must be an integer")
            return nil
        }
        guard range.contains(number) else {
            if range.upperBound == .max {
                fail(key, "must be at least \(range.lowerBound)")
            } else {
                fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return nil
        }
        return number
    }

    /// `integer` as `Int`.
    mutating func int(_ key: String, required: Bool = false, _ range: ClosedRange<Int>) -> Int? {
        integer(key, required: required, Int64(range.lowerBound)...Int64(range.upperBound)).map { Int($0) }
    }

    /// The id of another record: a positive integer.
    mutating func id(_ key: String, required: Bool = false) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.integralValue, number > 0 else {
            fail(key, "must be a positive integer id")
            return nil
        }
        return number
    }

    /// A finite number greater than zero.
    mutating func positiveNumber(_ key: String, required: Bool = false) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.doubleValue else {
            fail(key, "must be a number")
            return nil
        }
        guard number.isFinite, number > 0 else {
            fail(key, "must be greater than 0")
            return nil
        }
        return number
    }

    /// A boolean, `nil` when absent or `null`.
    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key, required: false) else { return nil }
        guard case .bool(let flag) = value else {
            fail(key, "must be true or false")
            return nil
        }
        return flag
    }

    // MARK: Timestamps

    /// An RFC 3339 timestamp with an offset, as epoch milliseconds.
    mutating func timestamp(_ key: String, required: Bool = false) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string")
            return nil
        }
        guard let instant = Timestamp.parse(text) else {
            fail(key, Self.timestampMessage)
            return nil
        }
        return instant
    }

    static let timestampMessage = "must be an RFC 3339 timestamp with an offset, such as 2026-11-20T08:15:00+01:00"

    // MARK: Arrays

    /// An array (absent or `null` reads as empty) of at most `maximumCount` elements; reports
    /// its own type and size problems and returns `nil` then.
    mutating func array(_ key: String, maximumCount: Int) -> [JSONValue]? {
        guard let value = value(key, required: false) else { return [] }
        guard case .array(let elements) = value else {
            fail(key, "must be an array")
            return nil
        }
        guard elements.count <= maximumCount else {
            fail(key, "must have at most \(maximumCount) items")
            return nil
        }
        return elements
    }

    /// An array of distinct slugs (open vocabulary), empty when absent or `null`. Each bad
    /// item is reported at its own pointer (`/symptoms/2`).
    mutating func slugs(_ key: String, maximumCount: Int = 50) -> [String] {
        strings(key, maximumCount: maximumCount) { text in Slug.isValid(text) ? nil : Self.slugMessage }
    }

    /// An array of distinct strings each accepted by `check` (which returns the problem, or `nil`).
    mutating func strings(_ key: String, maximumCount: Int = 50, _ check: (String) -> String?) -> [String] {
        guard let elements = array(key, maximumCount: maximumCount) else { return [] }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let itemPointer = pointer(key).appending(index)
            guard case .string(let text) = element else {
                errors.add(itemPointer, "must be a string")
                continue
            }
            if let problem = check(text) {
                errors.add(itemPointer, problem)
            } else if result.contains(text) {
                errors.add(itemPointer, "repeats an earlier item")
            } else {
                result.append(text)
            }
        }
        return result
    }
}

extension JSONValue {
    /// The value as an integer when it is one: an integer literal, or a number whose value is
    /// integral and fits 64 bits (`5.0`, `5e0`). Nil for anything else.
    var integralValue: Int64? {
        switch self {
        case .number(.integer(let number)): number
        case .number(.double(let number)) where number.rounded(.towardZero) == number: Int64(exactly: number)
        default: nil
        }
    }
}

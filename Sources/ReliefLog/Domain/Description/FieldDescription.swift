import JSON

// A record is described once, as a list of fields (`RecordDescription`). Validation (which
// members are known, their types and bounds), rendering (the response body), the OpenAPI
// schemas and the SQL columns are all derived from that list, so adding a field is one edit
// here plus a migration. Rules that relate two fields stay code (`RecordFields.checkRules`).

/// What a field holds and which values are valid.
enum FieldKind: Sendable, Hashable {
    /// A string of `length` Unicode scalars; with `notBlank`, not only white space.
    case text(length: ClosedRange<Int>, notBlank: Bool = false, format: TextFormat = .plain)
    /// An integer within the range (`5.0` counts as 5).
    case integer(ClosedRange<Int64>)
    /// A year from `from` to the current year.
    case calendarYear(from: Int64)
    /// The id of another record (a positive integer) that must exist.
    case reference(ResourceKind)
    case boolean
    /// An RFC 3339 timestamp with an offset, held as epoch milliseconds.
    case timestamp
    /// One of a closed vocabulary.
    case choice([String])
    /// A list of distinct slugs (open vocabulary; `known` documents the usual ones).
    case slugs(known: [String], minimum: Int = 0)
    /// A list of distinct strings of `length` scalars each.
    case texts(length: ClosedRange<Int>)
    /// The medications of an episode (objects of their own, see `Medication`).
    case medications
}

/// Extra checks on a text field beyond its length.
enum TextFormat: Sendable, Hashable {
    case plain
    /// An IANA time zone name.
    case timeZone
    /// A plausible email address (`Contact.isPlausibleEmail`).
    case email
    /// A plausible phone number (`Contact.isPlausiblePhone`).
    case phone
}

/// Whether a create body must carry the field, and what it is when left out.
enum Presence: Sendable, Hashable {
    /// Required in a create body; never `null` in a response.
    case required
    /// May be left out or `null`; rendered as `null` when absent.
    case optional
    /// May be left out (or `null`), which means this value; never `null` in a response.
    case defaulted(FieldValue)
    /// May be left out, and a rule of the record then decides it; never `null` in a response.
    case derived
}

/// A field's value, independent of the Swift type that holds it: what validation writes,
/// rendering reads, and storage binds and decodes.
enum FieldValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case boolean(Bool)
    case list([String])
    case medications([Medication])
}

/// A Swift type that can hold a field's value.
protocol FieldValueConvertible: Sendable {
    init?(fieldValue: FieldValue)
    var fieldValue: FieldValue { get }
}

extension String: FieldValueConvertible {
    init?(fieldValue: FieldValue) {
        guard case .text(let text) = fieldValue else { return nil }
        self = text
    }
    var fieldValue: FieldValue { .text(self) }
}

extension Int64: FieldValueConvertible {
    init?(fieldValue: FieldValue) {
        guard case .integer(let value) = fieldValue else { return nil }
        self = value
    }
    var fieldValue: FieldValue { .integer(self) }
}

extension Int: FieldValueConvertible {
    init?(fieldValue: FieldValue) {
        guard case .integer(let value) = fieldValue, let exact = Int(exactly: value) else { return nil }
        self = exact
    }
    var fieldValue: FieldValue { .integer(Int64(self)) }
}

extension Bool: FieldValueConvertible {
    init?(fieldValue: FieldValue) {
        guard case .boolean(let flag) = fieldValue else { return nil }
        self = flag
    }
    var fieldValue: FieldValue { .boolean(self) }
}

extension Array: FieldValueConvertible where Element: ListFieldElement {
    init?(fieldValue: FieldValue) {
        guard let elements = Element.elements(of: fieldValue) else { return nil }
        self = elements
    }
    var fieldValue: FieldValue { Element.fieldValue(of: self) }
}

/// An element type of a list field.
protocol ListFieldElement: Sendable {
    static func elements(of value: FieldValue) -> [Self]?
    static func fieldValue(of elements: [Self]) -> FieldValue
}

extension String: ListFieldElement {
    static func elements(of value: FieldValue) -> [String]? {
        guard case .list(let strings) = value else { return nil }
        return strings
    }
    static func fieldValue(of elements: [String]) -> FieldValue { .list(elements) }
}

extension Medication: ListFieldElement {
    static func elements(of value: FieldValue) -> [Medication]? {
        guard case .medications(let medications) = value else { return nil }
        return medications
    }
    static func fieldValue(of elements: [Medication]) -> FieldValue { .medications(elements) }
}

extension Optional: FieldValueConvertible where Wrapped: FieldValueConvertible {
    init?(fieldValue: FieldValue) {
        if case .null = fieldValue {
            self = .none
        } else if let wrapped = Wrapped(fieldValue: fieldValue) {
            self = .some(wrapped)
        } else {
            return nil
        }
    }
    var fieldValue: FieldValue { map(\.fieldValue) ?? .null }
}

extension FieldValueConvertible where Self: RawRepresentable, RawValue == String {
    init?(fieldValue: FieldValue) {
        guard case .text(let text) = fieldValue else { return nil }
        self.init(rawValue: text)
    }
    var fieldValue: FieldValue { .text(rawValue) }
}

/// One field of a record's `Fields`: its JSON name, kind and presence, a note for the API
/// documentation, and how to read and write it on the Swift value.
struct FieldDescription<Fields>: Sendable {
    let name: String
    let kind: FieldKind
    let presence: Presence
    /// What the API documentation adds about the field (bounds are derived from `kind`).
    let note: String?
    /// Required, except that a patient token implies it (`patientId`).
    let impliedForPatientTokens: Bool
    let get: @Sendable (Fields) -> FieldValue
    /// Writes a value; false when it does not fit the field's Swift type (a stored `kind`
    /// that is no longer a kind, say), which leaves the field as it was.
    let set: @Sendable (inout Fields, FieldValue) -> Bool

    init<Value: FieldValueConvertible>(
        _ name: String, _ keyPath: any WritableKeyPath<Fields, Value> & Sendable, _ kind: FieldKind,
        _ presence: Presence = .optional, note: String? = nil, impliedForPatientTokens: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.presence = presence
        self.note = note
        self.impliedForPatientTokens = impliedForPatientTokens
        get = { fields in fields[keyPath: keyPath].fieldValue }
        set = { fields, value in
            guard let typed = Value(fieldValue: value) else { return false }
            fields[keyPath: keyPath] = typed
            return true
        }
    }

    var isRequired: Bool { presence == .required }

    /// The value a create body that leaves the field out means.
    var absentValue: FieldValue? {
        switch presence {
        case .required, .derived: nil
        case .optional: .null
        case .defaulted(let value): value
        }
    }
}

/// The description of a record: its name, the resource it is, and its request-settable fields
/// in the contract's order.
struct RecordDescription<Fields>: Sendable {
    let resource: ResourceKind
    let fields: [FieldDescription<Fields>]
    /// Fields the server sets, like `id` and `createdAt`, but kept with the record's own fields:
    /// stored in a column, rendered in responses, refused in request bodies ("is managed by the
    /// server"), carried over unchanged by a merge patch.
    let managed: [FieldDescription<Fields>]
    /// The JSON member names of `fields`, for refusing unknown members.
    let known: Set<String>
    /// The JSON member names of `managed`.
    let managedNames: Set<String>
    /// Each member's position in the contract, for reporting errors in that order.
    let order: [String: Int]
    /// Every field with a column: the request-settable ones, then the managed ones. Kept, not
    /// computed, since storage walks it for every row it reads or writes.
    let stored: [FieldDescription<Fields>]

    init(_ resource: ResourceKind, _ fields: [FieldDescription<Fields>], managed: [FieldDescription<Fields>] = []) {
        self.resource = resource
        self.fields = fields
        self.managed = managed
        known = Set(fields.map(\.name))
        managedNames = Set(managed.map(\.name))
        order = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
        stored = fields + managed
    }

    /// The managed members, appended to `object` (responses only).
    func appendManagedMembers(of value: Fields, to object: inout JSONObject) {
        for field in managed {
            object.append(field.name, field.render(field.get(value)))
        }
    }

    /// `fields` with its managed members taken from `source`.
    func keepingManaged(_ fields: Fields, from source: Fields) -> Fields {
        var result = fields
        for field in managed { _ = field.set(&result, field.get(source)) }
        return result
    }

    /// The request-settable members in the contract's order, appended to `object`.
    func appendMembers(of value: Fields, to object: inout JSONObject) {
        for field in fields {
            object.append(field.name, field.render(field.get(value)))
        }
    }
}

extension FieldDescription {
    /// A value of this field as JSON.
    func render(_ value: FieldValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): kind == .timestamp ? .string(Timestamp.format(number)) : .number(.integer(number))
        case .text(let text): .string(text)
        case .boolean(let flag): .bool(flag)
        case .list(let strings): .array(strings.map(JSONValue.string))
        case .medications(let medications): .array(medications.map(\.json))
        }
    }
}

import JSON
import SQLite

/// The `medications` column: a JSON array of medications as the API renders them.
enum StoredMedications {
    static func encode(_ medications: [Medication]) -> SQLiteValue {
        .text(JSON.string(.array(medications.map(\.json))))
    }

    static func decode(_ text: String?, id: Int64) throws(RecordsError) -> [Medication] {
        let invalid = RecordsError.storedDataInvalid(table: "episodes", id: id, column: "medications")
        guard let text, let value = try? JSON.parse(text), case .array(let elements) = value else { throw invalid }
        var medications: [Medication] = []
        medications.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let object) = element, let name = object["name"]?.stringValue else { throw invalid }
            let takenAt: Int64?
            if let text = object["takenAt"]?.stringValue {
                guard let instant = Timestamp.parse(text) else { throw invalid }
                takenAt = instant
            } else {
                takenAt = nil
            }
            medications.append(
                Medication(
                    name: name, medicationClass: object["class"]?.stringValue, doseMg: object["doseMg"]?.doubleValue,
                    takenAt: takenAt, effective: object["effective"]?.boolValue))
        }
        return medications
    }

    /// Only the `class` of each medication that has one (the summary's overuse counts), without
    /// building whole `Medication`s; empty for text that is not an array.
    static func classes(_ text: String) -> [String] {
        guard case .array(let elements)? = try? JSON.parse(text) else { return [] }
        return elements.compactMap { element in
            guard case .object(let object) = element else { return nil }
            return object["class"]?.stringValue
        }
    }
}

// libFuzzer entry point for the Migraine Buddy importer: whole files through the reader, and
// each line's cells through the cell parsers (durations, local times, lists, medication doses).
// Every accepted row must be an episode body that the create validation can judge (accept or
// refuse with failures naming members), never a crash.
import JSON

@testable import ReliefLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? MigraineBuddy.read(
        bytes, patientId: 1, zoneOffset: { _ in 3_600_000 },
        { line, body in
            precondition(line >= 1, "a row without a line")
            do {
                _ = try Episode.Fields(validating: body, now: 1_795_000_000_000)
            } catch let error as ValidationError {
                precondition(!error.failures.isEmpty, "a validation error without failures")
            } catch {
                preconditionFailure("validation threw something other than a validation error: \(error)")
            }
        },
        { line, field, message in
            precondition(line >= 1 && !message.isEmpty, "a rejection without a line or a message: \(field)")
        })
    let text = String(decoding: bytes, as: UTF8.self)
    for cell in text.split(separator: "\n", maxSplits: 64).map(String.init) {
        if let duration = MigraineBuddy.duration(cell), let milliseconds = duration {
            precondition(milliseconds >= 0, "a negative duration from \(cell)")
        }
        _ = MigraineBuddy.localTime(cell)
        for entry in MigraineBuddy.list(cell) {
            precondition(!entry.isEmpty, "an empty list entry")
            let (name, dose) = MigraineBuddy.nameAndDose(entry)
            precondition(!name.isEmpty || dose == nil, "a dose without a name")
            if let dose { precondition(dose.isFinite, "a dose that is not finite") }
        }
    }
    return 0
}

// Writes a Swift source holding the `.sql` files of a directory byte for byte, for the
// EmbedMigrations build plugin: `MigrationsEmbedder OUTPUT DIRECTORY`.
import Foundation

/// `text` as the inside of a Swift string literal that evaluates to exactly `text`.
func escaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count + text.utf8.count / 20)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result += "\\\\"
        case "\"": result += "\\\""
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            result += "\\u{\(String(scalar.value, radix: 16))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// The program (an `@main` type rather than top-level code, so that it builds whichever way
/// the package is compiled, the fuzzing builds' `-parse-as-library` included).
@main
enum MigrationsEmbedder {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let output = arguments.first else {
            FileHandle.standardError.write(Data("usage: MigrationsEmbedder OUTPUT DIRECTORY\n".utf8))
            exit(2)
        }
        var source = """
            // Generated at build time from Migrations/*.sql by the EmbedMigrations plugin; do not edit.

            /// The `Migrations/*.sql` files this binary was built with: file name and exact contents.
            let embeddedMigrationFiles: [(name: String, sql: String)] = [

            """
        guard arguments.count == 2,
            let names = try? FileManager.default.contentsOfDirectory(atPath: arguments[arguments.startIndex + 1])
        else {
            FileHandle.standardError.write(
                Data("usage: MigrationsEmbedder OUTPUT DIRECTORY (a readable directory)\n".utf8))
            exit(2)
        }
        let directory = URL(fileURLWithPath: arguments[arguments.startIndex + 1], isDirectory: true)
        for name in names.sorted() where name.hasSuffix(".sql") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            let path = url.path
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(validating: [UInt8](data), as: UTF8.self)
            else {
                FileHandle.standardError.write(Data("error: \(path) is unreadable or not UTF-8\n".utf8))
                exit(1)
            }
            source += "    (\"\(escaped(url.lastPathComponent))\", \"\(escaped(text))\"),\n"
        }
        source += "]\n"
        // Left alone when unchanged, so the module is not recompiled for nothing.
        if FileManager.default.contents(atPath: output) != Data(source.utf8) {
            do {
                try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(output): \(error)\n".utf8))
                exit(1)
            }
        }
    }
}

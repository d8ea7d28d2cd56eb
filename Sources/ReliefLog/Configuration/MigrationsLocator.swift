public import Foundation

/// Finds the `Migrations` directory wherever the binary runs.
///
/// Order: an explicit directory (flag, `RELIEFLOG_MIGRATIONS`, config file); beside the binary
/// (`<bin>/Migrations`, `<bin>/../share/relieflog/Migrations` for an installed binary and the
/// Docker image); the package root above the binary (`swift run` builds into
/// `<repo>/.build/<config>/`); the working directory.
public enum MigrationsLocator {
    public static func locate(explicit: String?, executable: URL? = executableURL) throws(StartupError) -> URL {
        let fileManager = FileManager.default
        if let explicit {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: explicit, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StartupError("migrations directory \(explicit) does not exist")
            }
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        for candidate in candidates(executable: executable) {
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate
            }
        }
        throw StartupError("cannot find the Migrations directory; pass --migrations DIR or set RELIEFLOG_MIGRATIONS")
    }

    static func candidates(executable: URL?) -> [URL] {
        var result: [URL] = []
        if let binDirectory = executable?.resolvingSymlinksInPath().deletingLastPathComponent() {
            result.append(binDirectory.appendingPathComponent("Migrations"))
            result.append(binDirectory.deletingLastPathComponent().appendingPathComponent("share/relieflog/Migrations"))
            var directory = binDirectory
            while directory.pathComponents.count > 1 {
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                    result.append(directory.appendingPathComponent("Migrations"))
                    break
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        result.append(
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Migrations"))
        return result
    }

    public static var executableURL: URL? {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() as URL?
            ?? Bundle.main.executableURL
    }
}

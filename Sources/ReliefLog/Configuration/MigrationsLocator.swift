public import Foundation

/// Checks a migrations directory given instead of the migrations built into the binary
/// (`--migrations DIR`, `RELIEFLOG_MIGRATIONS`, `migrations` in the configuration file).
public enum MigrationsLocator {
    public static func locate(explicit: String) throws(StartupError) -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: explicit, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StartupError("migrations directory \(explicit) does not exist")
        }
        let url = URL(fileURLWithPath: explicit, isDirectory: true)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: explicit)) ?? []
        // An empty directory would "migrate" nothing and fail later on a missing table.
        guard files.contains(where: { $0.hasSuffix(".sql") && !$0.hasPrefix(".") }) else {
            throw StartupError("migrations directory \(explicit) holds no .sql migrations")
        }
        return url
    }
}

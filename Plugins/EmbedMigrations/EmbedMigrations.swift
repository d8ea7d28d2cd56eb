import Foundation
import PackagePlugin

/// Compiles the package's `Migrations/*.sql` into the target it is applied to, as
/// `embeddedMigrationFiles`, so the binary carries its schema wherever it is copied. The files
/// stay the source: the list is read afresh on every build, so a new `NNNN_name.sql` is picked
/// up without a code change, and an edited one rebuilds the generated source.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "Migrations")
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" && !$0.lastPathComponent.hasPrefix(".") }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        // The tool reads the directory itself, and the directory is an input: SwiftPM keeps a
        // build plan until a target's sources or the manifest change, and a file added since
        // changes the directory, which reruns the tool. The files are inputs too, so a file
        // edited in place is embedded afresh. (A file removed while the plan names it is a
        // "missing input" until the plan is renewed: `touch Package.swift`.)
        return [
            .buildCommand(
                displayName: "Embedding Migrations/*.sql in \(target.name)",
                executable: try context.tool(named: "MigrationsEmbedder").url,
                arguments: [output.path, directory.path],
                inputFiles: [directory] + files,
                outputFiles: [output])
        ]
    }
}

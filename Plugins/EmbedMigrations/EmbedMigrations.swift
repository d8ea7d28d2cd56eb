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
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migrations in \(target.name)",
                executable: try context.tool(named: "MigrationsEmbedder").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}

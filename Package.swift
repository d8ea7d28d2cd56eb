// swift-tools-version:6.2
// ReliefLog: a self-hosted migraine diary and massage-session service.
//
// One module per layer, dependencies pointing one way:
//   CSQLite (system libsqlite3) → SQLite (connections, statements, pool, migrator)
//   JSON (strict parser and serializer)
//   HTTP (sockets, parser, router, problem details) → JSON
//   ReliefLog (domain, validation, repositories, routes) → SQLite, HTTP, JSON
//   relieflog (command line) → ReliefLog
import PackageDescription

// Warnings are errors in CI (CI=true), and only for our own targets, not dependencies.
let strictSettings: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ] + (Context.environment["CI"] == nil ? [] : [.treatAllWarnings(as: .error)])

// The fuzzing harnesses (Fuzz/) build everything with libFuzzer, whose `main` collides with the
// migrations generator's; their builds set RELIEFLOG_FUZZ_BUILD and get a module without the
// embedded migrations (no harness opens a database).
let fuzzBuild = Context.environment["RELIEFLOG_FUZZ_BUILD"] != nil

let package = Package(
    name: "relieflog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relieflog", targets: ["ReliefLogCLI"]),
        .library(name: "ReliefLog", targets: ["ReliefLog"]),
        .library(name: "HTTP", targets: ["HTTP"]),
        .library(name: "SQLite", targets: ["SQLite"]),
        .library(name: "JSON", targets: ["JSON"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Locks ThreadSanitizer can follow and thread names, for every module's threads.
        .target(name: "ThreadSupport", swiftSettings: strictSettings),
        .target(name: "SQLite", dependencies: ["CSQLite", "ThreadSupport"], swiftSettings: strictSettings),
        .target(name: "JSON", swiftSettings: strictSettings),
        // epoll(7) and eventfd(2) for the HTTP event loops (headers the Glibc module lacks).
        .target(name: "CEpoll"),
        .target(
            name: "HTTP",
            dependencies: ["CEpoll", "JSON", "ThreadSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .target(
            name: "ReliefLog",
            dependencies: [
                "SQLite", "HTTP", "JSON", "ThreadSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The dashboard's files are compiled in as Swift source (scripts/embed-dashboard.py).
            exclude: ["Dashboard/Assets"] + (fuzzBuild ? [] : ["Storage/NoEmbeddedMigrations.swift"]),
            swiftSettings: strictSettings,
            // Migrations/*.sql compiled into the module: a copied binary carries its schema.
            plugins: fuzzBuild ? [] : ["EmbedMigrations"]),
        .executableTarget(
            name: "ReliefLogCLI",
            dependencies: [
                "ReliefLog",
                "SQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(name: "MigrationsEmbedder", swiftSettings: strictSettings),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["MigrationsEmbedder"]),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: strictSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "JSON", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ReliefLogTests",
            dependencies: ["ReliefLog", "HTTP", "SQLite", "JSON", "TestSupport"],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)

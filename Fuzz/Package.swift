// swift-tools-version:6.2
// Fuzzing harnesses for every parser of untrusted bytes, kept out of the root package so that
// normal builds and tests never see libFuzzer or sanitizer flags.
//
// Build and run with scripts/fuzz.sh TARGET [SECONDS] or scripts/fuzz-all.sh [SECONDS] from the
// repository root; the executables have no main of their own (libFuzzer provides it), so they
// only link when built with --sanitize=fuzzer.
import PackageDescription

let fuzzerSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "relieflog-fuzz",
    products: [
        .executable(name: "HTTPParserFuzzer", targets: ["HTTPParserFuzzer"]),
        .executable(name: "JSONFuzzer", targets: ["JSONFuzzer"]),
        .executable(name: "QueryStringFuzzer", targets: ["QueryStringFuzzer"]),
        .executable(name: "RecordInputFuzzer", targets: ["RecordInputFuzzer"]),
        .executable(name: "CSVFuzzer", targets: ["CSVFuzzer"]),
        .executable(name: "MigraineBuddyFuzzer", targets: ["MigraineBuddyFuzzer"]),
    ],
    dependencies: [
        .package(name: "relieflog", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "HTTPParserFuzzer", dependencies: [.product(name: "HTTP", package: "relieflog")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "JSONFuzzer", dependencies: [.product(name: "JSON", package: "relieflog")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "QueryStringFuzzer", dependencies: [.product(name: "HTTP", package: "relieflog")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "RecordInputFuzzer",
            dependencies: [
                .product(name: "ReliefLog", package: "relieflog"), .product(name: "JSON", package: "relieflog"),
            ],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "CSVFuzzer", dependencies: [.product(name: "ReliefLog", package: "relieflog")],
            swiftSettings: fuzzerSettings),
        .executableTarget(
            name: "MigraineBuddyFuzzer",
            dependencies: [
                .product(name: "ReliefLog", package: "relieflog"), .product(name: "JSON", package: "relieflog"),
            ],
            swiftSettings: fuzzerSettings),
    ],
    swiftLanguageModes: [.v6]
)

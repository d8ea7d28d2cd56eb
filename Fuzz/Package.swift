// swift-tools-version:6.2
// Fuzzing harness for the HTTP request parser, kept out of the root package
// so that normal builds and tests never see libFuzzer or sanitizer flags.
//
// Build and run with scripts/fuzz-parser.sh from the repository root; the
// executable has no main of its own (libFuzzer provides it), so it only
// links when built with --sanitize=fuzzer.
import PackageDescription

let package = Package(
    name: "relieflog-fuzz",
    products: [
        .executable(name: "HTTPParserFuzzer", targets: ["HTTPParserFuzzer"])
    ],
    dependencies: [
        .package(name: "relieflog", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "HTTPParserFuzzer",
            dependencies: [.product(name: "HTTP", package: "relieflog")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    ],
    swiftLanguageModes: [.v6]
)

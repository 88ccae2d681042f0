// swift-tools-version:6.0
// Sluice: an OpenAI-compatible inference gateway. Module boundaries follow
// ARCHITECTURE.md; dependencies only point down.
import PackageDescription

/// C kernels are built optimised even in debug builds: they are the hot loops
/// and unoptimised SIMD code is 10-50x slower, which would make debug tests crawl.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        // `sluice serve` plus test-only routes, for the Python live tests; `make test` builds it.
        .executable(name: "sluice-test-server", targets: ["sluice-test-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `sluice serve` configuration: providers and precedence (swift-configuration), YAML files (Yams).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: C shims and system libraries
        .target(name: "CSluiceSystem"),
        .target(name: "CKernels", cSettings: kernelFlags),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),

        // MARK: Libraries
        .target(name: "SluiceHTTP", dependencies: ["CSluiceSystem", .product(name: "Logging", package: "swift-log")]),
        .target(name: "SluiceAPI"),
        .target(name: "SluiceEngine", dependencies: ["CKernels"]),
        .target(name: "SluiceScheduler"),
        // Constrained decoding: JSON Schema → byte grammar → per-step token masks. Pure Swift.
        .target(name: "SluiceGrammar", dependencies: ["SluiceAPI"]),
        .target(name: "SluiceSync"),
        .target(name: "SluiceStore", dependencies: [
            "CHiredis", "COpenSSL", "SluiceSync", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SluiceGateway", dependencies: [
            "SluiceHTTP", "SluiceAPI", "SluiceEngine", "SluiceGrammar", "SluiceScheduler", "SluiceStore", "SluiceSync",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The commands are a library (sources in Sources/sluice) so that two executables share them.
        .target(name: "SluiceCLI", dependencies: [
            "SluiceGateway", "SluiceEngine", "SluiceGrammar", "SluiceAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/sluice"),
        .executableTarget(name: "sluice", dependencies: ["SluiceCLI"], path: "Sources/SluiceMain"),
        // Test-only routes live outside SluiceGateway so the release binary cannot contain them.
        .target(name: "SluiceTestRoutes", dependencies: ["SluiceGateway", "SluiceAPI", "SluiceHTTP"]),
        .executableTarget(name: "sluice-test-server", dependencies: ["SluiceCLI", "SluiceGateway", "SluiceTestRoutes"]),
        // The shared test kit: live server and raw client, fake executors, redis launcher, model fixture.
        .target(name: "SluiceTesting", dependencies: ["SluiceHTTP", "SluiceEngine", "SluiceScheduler", "SluiceStore",
                                                     "SluiceGateway", .product(name: "Logging", package: "swift-log")]),

        // MARK: Tests (one target per library)
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP", "SluiceTesting"]),
        .testTarget(name: "SluiceAPITests", dependencies: ["SluiceAPI", "SluiceTesting"]),
        .testTarget(name: "SluiceEngineTests", dependencies: ["SluiceEngine", "CKernels", "SluiceTesting"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SluiceGrammarTests", dependencies: ["SluiceGrammar", "SluiceEngine", "SluiceTesting"]),
        .testTarget(name: "SluiceSchedulerTests", dependencies: ["SluiceScheduler", "SluiceTesting"]),
        .testTarget(name: "SluiceStoreTests", dependencies: ["SluiceStore", "SluiceTesting"]),
        .testTarget(name: "SluiceGatewayTests", dependencies: ["SluiceGateway", "SluiceTesting"]),
    ],
    swiftLanguageModes: [.v6]
)

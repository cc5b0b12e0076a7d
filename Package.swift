// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Talon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "talon", targets: ["talon"]),
        .library(name: "TalonProtocol", targets: ["TalonProtocol"]),
        .library(name: "TalonLedger", targets: ["TalonLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // C libraries: module maps only.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // OpenSSL's libcrypto for SHA-256 only (hardware SHA extensions); libsodium keeps the rest.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CZBar",
            pkgConfig: "zbar",
            providers: [.apt(["libzbar-dev"])]
        ),
        // stb_image (PNG/JPEG/… decode) and stb_image_write (PNG encode): photos for zbar, QR images.
        .systemLibrary(
            name: "CStb",
            pkgConfig: "stb",
            providers: [.apt(["libstb-dev"])]
        ),
        // C: Lua's macros and everything that can raise (longjmp) stays on this side.
        .target(name: "CLuaShims", dependencies: ["CLua"]),

        // Talon modules, dependencies pointing one way (see docs/architecture.md).
        // The kernel: codes and the one error type, the wrappers of libsodium and of libcrypto's
        // SHA-256, records and their encodings, Merkle trees, blocks, heads, certificates, passes,
        // genesis. No storage, no scripting, no network: below everything else.
        .target(name: "TalonProtocol", dependencies: ["CSodium", "CCrypto"]),
        .target(name: "TalonStore", dependencies: ["TalonProtocol", "CLMDB"]),
        .target(name: "TalonLedger", dependencies: ["TalonProtocol", "TalonStore", "TalonContracts"]),
        .target(name: "TalonRaft", dependencies: ["TalonProtocol", "TalonStore"]),
        // The deterministic cluster simulator, apart from the core it drives (as etcd keeps
        // rafttest/ apart from raft): the tests and `talon sim` use it, a node never does.
        .target(name: "TalonRaftSim", dependencies: ["TalonRaft", "TalonProtocol"]),
        .target(
            name: "TalonNode",
            dependencies: [
                "TalonProtocol", "TalonStore", "TalonLedger", "TalonRaft", "TalonContracts",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // The API's connection limit wraps HummingbirdCore's HTTP1Channel and reads
                // its HTTP parts (NIOHTTPTypes).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TalonContracts", dependencies: ["TalonProtocol", "CLuaShims"],
            // The shipped contracts, compiled in from genesis/contracts (Shipped/ holds links to them).
            resources: ["face-value-cap", "markup-cap-royalty", "no-resale", "transfer-limit", "refund-window"]
                .map { .embedInCode("Shipped/\($0).lua") }),
        .target(name: "TalonGate", dependencies: ["TalonProtocol", "TalonStore", "CQREncode", "CZBar", "CStb"]),
        // The chaos harness of real node processes: proxies on the peer links, a seeded fault
        // schedule, the clients' history and its checker (`talon chaos`). A node never uses it.
        .target(
            name: "TalonChaos",
            dependencies: [
                "TalonProtocol", "TalonStore", "TalonLedger", "TalonRaft",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "talon",
            dependencies: [
                "TalonProtocol", "TalonStore", "TalonLedger", "TalonRaft", "TalonRaftSim", "TalonContracts", "TalonNode", "TalonGate", "TalonChaos",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // What more than one test target needs: the models of docs/format.md and docs/openapi.yaml
        // that check a node's answers (in process or over a socket), and an attacker's view of
        // the peer protocol.
        .target(name: "TalonTestSupport", dependencies: ["TalonNode", "TalonLedger", "TalonRaft"],
                path: "Tests/TalonTestSupport"),
        .testTarget(name: "TalonProtocolTests", dependencies: ["TalonProtocol", "TalonRaft"]),
                .testTarget(name: "TalonStoreTests", dependencies: ["TalonStore", "TalonProtocol"]),
        .testTarget(
            name: "TalonLedgerTests",
            dependencies: [
                "TalonLedger", "TalonProtocol", "TalonStore", "TalonContracts", "TalonRaft",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "TalonNodeTests",
            dependencies: [
                "TalonNode", "TalonProtocol", "TalonStore", "TalonLedger", "TalonRaft", "TalonContracts", "TalonTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // Submissions on the event loop: the live server's pipeline and its HTTP parts.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "TalonRaftTests", dependencies: ["TalonRaft", "TalonRaftSim", "TalonStore", "TalonProtocol"]),
        .testTarget(name: "TalonContractsTests", dependencies: ["TalonContracts", "TalonProtocol"]),
        .testTarget(name: "TalonGateTests", dependencies: ["TalonGate", "TalonProtocol", "TalonStore", "TalonLedger", "TalonRaft"]),
        .testTarget(
            name: "TalonChaosTests",
            dependencies: [
                "TalonChaos", "TalonProtocol", "TalonLedger",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "TalonCLITests", dependencies: ["TalonProtocol", "TalonLedger", "TalonNode", "TalonRaft", "TalonChaos", "TalonTestSupport"]),
    ]
)

// Settings shared by every Swift target: Swift 6 mode with strict concurrency,
// explicit `any`, and imports that do not leak C types into public API.
for target in package.targets where [.regular, .test, .executable].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}

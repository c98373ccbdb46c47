// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "att-report",
    products: [
        .executable(name: "att-report", targets: ["att-report"]),
        .library(name: "Crypto", targets: ["Crypto"]),
    ],
    targets: [
        // C libraries from Debian, each behind one thin module map.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // att-report -> Relay -> Vault -> Crypto -> C shims
        .target(name: "Crypto", dependencies: ["CSodium"]),
        .target(name: "Vault", dependencies: ["Crypto"]),
        .target(name: "Relay", dependencies: ["Vault", "Crypto", "CSQLite", "CMicroHTTPD", "CCurl"]),
        .executableTarget(name: "att-report", dependencies: ["Relay", "Vault", "Crypto"]),
        // Load generator and benchmark for the transparency log (crash tests, make bench).
        .executableTarget(name: "att-logbench", dependencies: ["Relay", "Vault", "Crypto"]),
        // libFuzzer targets for every parser that meets outside bytes (scripts/fuzz); the
        // plain build of att-fuzz replays inputs, FuzzTests replays fuzz/corpus and fuzz/regressions.
        .target(name: "FuzzTargets", dependencies: ["Crypto", "Vault", "Relay"]),
        .executableTarget(name: "att-fuzz", dependencies: ["FuzzTargets"]),

        // Tests. TestSupport reads ../shared/vectors and inflates the zlib-compressed ones.
        .target(name: "TestSupport", dependencies: ["CZlib", "Crypto"], path: "Tests/TestSupport"),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Crypto", "TestSupport"]),
        .testTarget(name: "RelayTests", dependencies: ["Relay", "Vault", "Crypto", "TestSupport"]),
        .testTarget(name: "VaultTests", dependencies: ["Vault", "Crypto", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

import Crypto
import Dispatch
import Foundation
import Relay
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// `att-report serve`: runs the relay on a data directory until SIGINT or SIGTERM.
struct Serve: Command {
    static let name = "serve"
    static let summary = "run the relay: the transparency logs over HTTP (until SIGINT/SIGTERM)"
    static let usage = "[--data DIR] [--host ADDR] [--port N] [--name NAME] [--directory DIR] [--threads N] [--tls-cert PEM --tls-key PEM] [--insecure]"
    /// One polling thread per core: uploads wait for their fsyncs on other threads.
    static let defaultThreads = min(64, max(2, ProcessInfo.processInfo.activeProcessorCount))
    static let defaultData = "relay-data"
    static let exampleDirectory = "keys-example/directory"
    static let options: [Option] = [
        Option(["--data"], value: "DIR", help: "the relay's data directory: logs and log keys (default ./\(defaultData))"),
        Option(["--host"], value: "ADDR", help: "numeric address to listen on (default 127.0.0.1)"),
        Option(["--port"], value: "N", help: "port to listen on, 0 for any free one (default 8080)"),
        Option(["--name"], value: "NAME", help: "the relay's host name, which starts the logs' origins (default \(RelayConfig.defaultName))"),
        Option(["--directory"], value: "DIR", help: "local directory imported into the directory log (default ./\(exampleDirectory) if it exists)"),
        Option(["--threads"], value: "N", help: "threads polling connections, 1-64 (default: one per core, at least 2)"),
        Option(["--tls-cert"], value: "PEM", help: "serve HTTPS with this certificate chain (PEM file)"),
        Option(["--tls-key"], value: "PEM", help: "the certificate's private key (PEM file)"),
        Option(["--insecure"], help: "allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy)"),
    ]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let host = args.value("--host") ?? "127.0.0.1"
        var port: UInt16 = 8080
        if let p = args.value("--port") {
            guard let n = UInt16(p), String(n) == p else { throw UsageError("--port: \"\(p)\" is not a port number (0-65535)") }
            port = n
        }
        var threads = defaultThreads
        if let t = args.value("--threads") {
            guard let n = Int(t), String(n) == t, (1...64).contains(n) else { throw UsageError("--threads: \"\(t)\" is not a number from 1 to 64") }
            threads = n
        }
        var tls: HTTPServer.TLS?
        switch (args.value("--tls-cert"), args.value("--tls-key")) {
        case (nil, nil): break
        case let (cert?, key?):
            do {
                tls = HTTPServer.TLS(certificatePEM: String(decoding: try readSmallFile(cert, limit: 1 << 20), as: UTF8.self),
                                     privateKeyPEM: String(decoding: try readSmallFile(key, limit: 1 << 20), as: UTF8.self))
            } catch { throw Failure("\(error)") }
        default: throw UsageError("--tls-cert and --tls-key go together")
        }
        let config: RelayConfig
        do {
            config = try RelayConfig(dataDirectory: URL(fileURLWithPath: args.value("--data") ?? defaultData),
                                     name: args.value("--name") ?? RelayConfig.defaultName)
        } catch { throw UsageError(error.description) }

        var directory: LocalDirectory?
        if let d = args.value("--directory") {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDir), isDir.boolValue else {
                throw Failure("--directory: \(d) is not a directory")
            }
            directory = LocalDirectory(url: URL(fileURLWithPath: d))
        } else if FileManager.default.fileExists(atPath: exampleDirectory) {
            directory = LocalDirectory(url: URL(fileURLWithPath: exampleDirectory))
        }

        let logs = try config.openLogs()
        if let directory {
            let added = try logs.importDirectory(try directory.entries())
            if added > 0 { CLI.note("imported \(added) statement(s) from \(directory.url.path) into the directory log") }
        }

        // Signals are taken by dispatch sources; the default actions are turned off first
        // so a signal arriving at any moment stops the relay cleanly.
        let stop = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "att-report.serve.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }

        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: HTTPServer.Configuration(host: host, port: port, threads: threads, tls: tls,
                                                                            allowInsecure: args.has("--insecure")),
                                    handler: RelayServer(config: config, logs: logs))
        } catch { throw Failure(error.description) }

        let shownHost = host == "localhost" ? "127.0.0.1" : host
        let url = "\(tls == nil ? "http" : "https")://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(server.port)"
        // The URL line comes last: once it is out, the relay is listening.
        let banner = "submissions-key \(logs.submissionsKey.encoded)\n"
            + "directory-key \(logs.directoryKey.encoded)\n"
            + "url \(url)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        CLI.note("public site: \(url)/")

        stop.wait()
        server.stop()
        for s in sources { s.cancel() }
        CLI.note("relay stopped")
    }
}

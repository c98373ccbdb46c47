import Crypto
import Foundation
import Relay

// att-logbench load DB [THREADS] [SKEYFILE]   append forever from THREADS threads, print one
//                                     line per acknowledged entry: "ack <index> <sha256(entry)> <size> <root>"
// att-logbench bench DB [LEAVES] [BATCH]   append LEAVES entries in batches, then time proofs
// att-logbench requests RELAY_NAME HOME DIRECTORY COUNT SIZE OUT   signed envelope uploads for wrk

func fail(_ s: String) -> Never {
    FileHandle.standardError.write(Data("att-logbench: \(s)\n".utf8))
    exit(1)
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else { fail("usage: att-logbench (load DB [THREADS] | bench DB [LEAVES] [BATCH] | requests RELAY HOME DIR COUNT SIZE OUT)") }
if args[0] == "requests" {
    guard args.count == 7, let count = Int(args[4]), let size = Int(args[5]), size >= 16 else {
        fail("usage: att-logbench requests RELAY_NAME HOME DIRECTORY COUNT SIZE OUT")
    }
    do {
        try RequestGenerator.run(relayName: args[1], home: URL(fileURLWithPath: args[2]), directory: URL(fileURLWithPath: args[3]),
                                 count: count, size: size, out: args[6])
    } catch { fail("\(error)") }
    exit(0)
}
let signer: NoteCheckpointSigner
do { signer = try benchSigner(keyFile: args[0] == "load" && args.count > 3 ? args[3] : nil) } catch { fail("\(error)") }

switch args[0] {
case "load":
    let threads = args.count > 2 ? Int(args[2]) ?? 4 : 4
    do {
        let appender = LogAppender(store: try LogStore(path: args[1], signer: signer))
        let out = FileHandle.standardOutput
        let outLock = NSLock()
        for _ in 0..<threads {
            Thread.detachNewThread {
                while true {
                    let entry = randomBytes(Int.random(in: 1...300))
                    do {
                        let r = try appender.append(entry)
                        let line = "ack \(r.index) \(hexString(SHA256.hash(entry))) \(r.checkpoint.size) \(hexString(r.checkpoint.root))\n"
                        outLock.withLock { out.write(Data(line.utf8)) }
                    } catch {
                        fail("append: \(error)")
                    }
                }
            }
        }
        while true { sleep(60) }
    } catch { fail("\(error)") }
case "bench":
    let leaves = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000
    let batch = args.count > 3 ? Int(args[3]) ?? 1000 : 1000
    do { try LogBench.run(path: args[1], leaves: leaves, batch: batch, signer: signer) } catch { fail("\(error)") }
default:
    fail("unknown mode \(args[0])")
}

// att-fuzz: the fuzz targets of FuzzTargets behind one executable.
//
//   att-fuzz --list                      names and -max_len of every target
//   att-fuzz TARGET [libFuzzer options]  (built with -DFUZZING) runs libFuzzer on TARGET
//   att-fuzz TARGET PATH...              (plain build) replays files and directories
//
// The target may also be named by the FUZZ_TARGET environment variable, in which case
// every argument goes to libFuzzer (or is a path to replay). See scripts/fuzz.
import FuzzTargets

#if canImport(Glibc)
import Glibc
#endif

/// The selected target, read by the C callback (libFuzzer calls it on the main thread).
enum Selected {
    nonisolated(unsafe) static var target: FuzzTarget?
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = Selected.target else { return 0 }
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    target.run(bytes)
    return 0
}

func fail(_ message: String) -> Never {
    let line = Array("att-fuzz: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--list" {
    for t in FuzzTarget.all { print("\(t.name) \(t.maxLength) \(t.summary)") }
    exit(0)
}
let targetName: String
if let env = getenv("FUZZ_TARGET").map({ String(cString: $0) }), !env.isEmpty {
    targetName = env
} else if let first = arguments.first, !first.hasPrefix("-") {
    targetName = first
    arguments.removeFirst()
} else {
    fail("name a target (argument or FUZZ_TARGET); --list lists them")
}
guard let target = FuzzTarget.named(targetName) else {
    fail("no target \"\(targetName)\"; targets: \(FuzzTarget.all.map(\.name).joined(separator: " "))")
}
Selected.target = target

#if FUZZING
/// libFuzzer's entry point, found at run time (the fuzz build links libFuzzer and exports
/// its symbols; see scripts/fuzz).
typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
typealias RunDriver = @convention(c) (UnsafeMutablePointer<Int32>,
                                      UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                      Callback) -> Int32
guard let symbol = dlsym(nil, "LLVMFuzzerRunDriver") else {
    fail("LLVMFuzzerRunDriver not found: build with -sanitize=fuzzer and -Xlinker --export-dynamic (scripts/fuzz)")
}
let runDriver = unsafeBitCast(symbol, to: RunDriver.self)
// argv for libFuzzer: the program name, then the arguments without the target name.
var cArguments: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
var argc = Int32(cArguments.count - 1)
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return runDriver(&argc, &argv, fuzzOne)
}
exit(status)
#else
/// Replays every file named, and every file in every directory named (not recursive).
func files(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [path] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasPrefix(".") { continue }
        names.append(path + "/" + name)
    }
    return names.sorted()
}

func read(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n == 0 { break }
        out += buffer[0..<n]
    }
    if ferror(f) != 0 { fail("cannot read \(path)") }
    return out
}

guard !arguments.isEmpty else { fail("plain build: name files or directories to replay through \(target.name)") }
var count = 0
for path in arguments {
    for file in files(path) {
        target.run(read(file))
        count += 1
    }
}
print("\(target.name): replayed \(count) input\(count == 1 ? "" : "s") without a crash")
#endif

import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where the envelope store writes new files before they get their final name
/// (docs/FORMATS.md §3.12). Where the file system allows it, a staged file is unnamed
/// (`O_TMPFILE`): creating it touches no directory entry, and a crash leaves nothing behind.
/// Otherwise it is a named temporary file, and the names a crash leaves are removed when
/// the store opens.
struct StagingDirectory: Sendable {
    let path: String
    /// Whether staged files are unnamed (probed once, when the store opens).
    let unnamed: Bool

    /// Creates the directory (mode 0700) if needed, removes leftover temporary files and
    /// probes for unnamed files.
    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { unlink(path + "/" + name) }
        unnamed = Self.linksUnnamedFiles(in: path)
    }

    /// A new empty file, open for writing. `named` asks for a named temporary file even
    /// where unnamed ones work (the fallback path, so that tests reach it).
    func create(named: Bool = false) throws -> StagedFile {
        if unnamed && !named {
            let fd = open(path, __O_TMPFILE | O_RDWR | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw IOError.open(path: path, reason: String(cString: strerror(errno))) }
            return StagedFile(descriptor: fd, linkPath: "/proc/self/fd/\(fd)", temporaryName: nil)
        }
        var template = Array("\(path)/upload-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw IOError.open(path: path, reason: String(cString: strerror(errno))) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fchmod(fd, 0o600)
        let name = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return StagedFile(descriptor: fd, linkPath: name, temporaryName: name)
    }

    /// Whether an `O_TMPFILE` file can be made here and linked by its /proc/self/fd path.
    private static func linksUnnamedFiles(in path: String) -> Bool {
        let fd = open(path, __O_TMPFILE | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let probe = "\(path)/probe-\(getpid())"
        unlink(probe)
        guard linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, probe, AT_SYMLINK_FOLLOW) == 0 else { return false }
        unlink(probe)
        return true
    }
}

/// A file being staged: its open descriptor, and the path `link(at:)` names it by (its
/// temporary name, or /proc/self/fd/N). It lives until `discard()`, which its owner calls
/// once the file is in place or abandoned.
struct StagedFile: Sendable {
    let descriptor: Int32
    let linkPath: String
    let temporaryName: String?

    init(descriptor: Int32, linkPath: String, temporaryName: String?) {
        self.descriptor = descriptor
        self.linkPath = linkPath
        self.temporaryName = temporaryName
    }

    /// Appends all of `bytes` (an `IOError` carries strerror's text, ENOSPC included).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileSink(fd: descriptor, name: temporaryName ?? "a staged file").write(bytes)
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else {
            throw IOError.commit(path: temporaryName ?? "a staged file", reason: String(cString: strerror(errno)))
        }
    }

    /// Gives the file the name `path`, never over an existing file: false if `path` exists.
    func link(at path: String) throws -> Bool {
        if linkat(AT_FDCWD, linkPath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return true }
        guard errno == EEXIST else { throw IOError.commit(path: path, reason: String(cString: strerror(errno))) }
        return false
    }

    /// Closes the descriptor and removes the temporary name, if any.
    func discard() {
        close(descriptor)
        if let name = temporaryName { unlink(name) }
    }
}

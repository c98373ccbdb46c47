import Foundation

/// The live interoperability check against Go's golang.org/x/mod/sumdb/note and
/// sumdb/tlog (Debian's golang-golang-x-mod-dev, built in GOPATH mode with golang-go).
///
/// `source` is a Go program, `interop IN OUT`: it checks the artifacts att-report's Swift
/// code wrote to IN (signed notes, a cosigned checkpoint, Merkle proofs, a tlog-proof) and
/// writes Go-made ones to OUT. A failed check prints `FAIL <step>: <reason>` to standard
/// error and exits 1. Its cosignature/v1 signer and verifier are written from
/// c2sp.org/tlog-cosignature, as x/mod 0.7.0 predates that spec. The files it expects are
/// listed where GoInteropTests writes them.
public enum GoInterop {
    /// Where Debian's golang-*-dev packages put their sources (a GOPATH).
    public static let gopath = "/usr/share/gocode"
    public static let installHint = "run scripts/install-deps, which installs golang-go and golang-golang-x-mod-dev"

    /// The Go program (gofmt-formatted). Kept verbatim: its closing delimiter is at column 0.
    public static let source = #"""
// att-report interop check against golang.org/x/mod/sumdb/note and sumdb/tlog, built in
// GOPATH mode against Debian's golang-golang-x-mod-dev (x/mod 0.7.0 or later).
//
// Usage: interop IN OUT
//
// IN holds artifacts made by att-report's Swift code (see GoInteropTests.swift). Every
// check prints "FAIL <step>: <reason>" to standard error and exits 1 if it fails. When all
// pass, Go-made artifacts for the Swift side are written to OUT.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var step = "start"

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL %s: %s\n", step, fmt.Sprintf(format, args...))
	os.Exit(1)
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

var in, out string

func read(name string) []byte {
	b, err := os.ReadFile(filepath.Join(in, name))
	check(err, "reading "+name)
	return b
}

func write(name string, b []byte) {
	check(os.WriteFile(filepath.Join(out, name), b, 0o644), "writing "+name)
}

// keyHash is the C2SP signed-note key id: SHA-256(name || 0x0A || type || key)[:4].
func keyHash(name string, typedKey []byte) uint32 {
	h := sha256.Sum256(append([]byte(name+"\n"), typedKey...))
	return binary.BigEndian.Uint32(h[:4])
}

// cosigV1 is a note.Verifier and note.Signer for c2sp.org/tlog-cosignature Ed25519
// (signature type 0x04), written from the spec: x/mod 0.7.0 predates it. A signature is
// a big-endian uint64 timestamp followed by an Ed25519 signature over
// "cosignature/v1\ntime <timestamp>\n" || checkpoint text.
type cosigV1 struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	time uint64 // for Sign
	seen uint64 // the timestamp of the last signature that verified
}

func (c *cosigV1) Name() string    { return c.name }
func (c *cosigV1) KeyHash() uint32 { return c.hash }

func (c *cosigV1) message(t uint64, msg []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
}

func (c *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 || !ed25519.Verify(c.pub, c.message(t, msg), sig[8:]) {
		return false
	}
	c.seen = t
	return true
}

func (c *cosigV1) Sign(msg []byte) ([]byte, error) {
	out := binary.BigEndian.AppendUint64(nil, c.time)
	return append(out, ed25519.Sign(c.priv, c.message(c.time, msg))...), nil
}

func newCosigV1(name string, priv ed25519.PrivateKey, time uint64) *cosigV1 {
	pub := priv.Public().(ed25519.PublicKey)
	return &cosigV1{name: name, hash: keyHash(name, append([]byte{4}, pub...)), pub: pub, priv: priv, time: time}
}

func (c *cosigV1) vkey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{4}, c.pub...)))
}

// splitKey splits "name+hash+base64(type || key)" and checks the key id.
func splitKey(text, what string) (name string, typ byte, key []byte) {
	parts := strings.SplitN(text, "+", 3)
	if len(parts) != 3 || len(parts[1]) != 8 {
		fail("%s %q is not name+hash+key", what, text)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	check(err, what+" base64")
	if len(raw) != 33 {
		fail("%s: key is %d bytes, want 33", what, len(raw))
	}
	id, err := strconv.ParseUint(parts[1], 16, 32)
	check(err, what+" key id")
	typ, key = raw[0], raw[1:]
	if typ == 4 { // for type 1 keys, note.NewVerifier and note.NewSigner check the id
		pub := key
		if strings.HasPrefix(what, "skey") {
			pub = ed25519.NewKeyFromSeed(key).Public().(ed25519.PublicKey)
		}
		if uint32(id) != keyHash(parts[0], append([]byte{4}, pub...)) {
			fail("%s: key id %s does not match the key", what, parts[1])
		}
	}
	return parts[0], typ, key
}

// parseSkey reads PRIVATE+KEY+name+hash+base64(type || seed).
func parseSkey(text string) (name string, typ byte, priv ed25519.PrivateKey) {
	if !strings.HasPrefix(text, "PRIVATE+KEY+") {
		fail("skey does not start with PRIVATE+KEY+")
	}
	name, typ, seed := splitKey(strings.TrimPrefix(text, "PRIVATE+KEY+"), "skey")
	return name, typ, ed25519.NewKeyFromSeed(seed)
}

// ed25519Keys parses an Ed25519 (type 0x01) skey/vkey pair with note, and checks that the
// vkey is the one Go derives from the skey.
func ed25519Keys(skeyFile, vkeyFile string) (note.Signer, note.Verifier) {
	skey, vkey := string(read(skeyFile)), string(read(vkeyFile))
	v, err := note.NewVerifier(vkey)
	check(err, "note.NewVerifier("+vkeyFile+")")
	s, err := note.NewSigner(skey)
	check(err, "note.NewSigner("+skeyFile+")")
	name, typ, priv := parseSkey(skey)
	if typ != 1 {
		fail("%s has type %d, want 1", skeyFile, typ)
	}
	derived, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	check(err, "note.NewEd25519VerifierKey")
	if derived != vkey || s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		fail("%s is %q, but Go derives %q from %s", vkeyFile, vkey, derived, skeyFile)
	}
	return s, v
}

func sigNames(sigs []note.Signature) []string {
	names := []string{}
	for _, s := range sigs {
		names = append(names, s.Name)
	}
	return names
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads a c2sp.org/tlog-checkpoint text: origin, size, root, extensions.
func parseCheckpoint(text string) checkpoint {
	l := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(l) < 3 {
		fail("checkpoint has %d lines", len(l))
	}
	size, err := strconv.ParseInt(l[1], 10, 64)
	check(err, "checkpoint size")
	root, err := tlog.ParseHash(l[2])
	check(err, "checkpoint root")
	return checkpoint{l[0], size, root}
}

func parseHashes(fields []string) []tlog.Hash {
	hs := []tlog.Hash{}
	for _, f := range fields {
		h, err := tlog.ParseHash(f)
		check(err, "hash "+f)
		hs = append(hs, h)
	}
	return hs
}

func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	check(err, "number "+s)
	return n
}

// tree is the log: entries, and the Swift side's roots and proofs (file "tree").
type tree struct {
	entries [][]byte
	roots   map[int64]tlog.Hash
	stored  []tlog.Hash // Go's own tlog storage, built from the entries
}

func (t *tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

func equalHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func tamper(p []tlog.Hash) []tlog.Hash {
	q := append([]tlog.Hash(nil), p...)
	q[len(q)/2][7] ^= 1
	return q
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: interop IN OUT")
		os.Exit(2)
	}
	in, out = os.Args[1], os.Args[2]

	// 1. Keys: note parses our Ed25519 keys and derives the same vkeys; the witness keys
	// (type 0x04) parse with the verifier written from the spec.
	step = "keys"
	logS, logV := ed25519Keys("log.skey", "log.vkey")
	authorS, authorV := ed25519Keys("author.skey", "author.vkey")
	name, typ, witPriv := parseSkey(string(read("witness.skey")))
	if typ != 4 {
		fail("witness.skey has type %d, want 4", typ)
	}
	cosigTime := uint64(atoi(strings.TrimSpace(string(read("cosignature.time")))))
	witS := newCosigV1(name, witPriv, cosigTime)
	if witS.vkey() != string(read("witness.vkey")) {
		fail("witness.vkey is %q, but Go derives %q from witness.skey", read("witness.vkey"), witS.vkey())
	}
	wname, wtyp, wpub := splitKey(string(read("witness.vkey")), "vkey witness.vkey")
	if wtyp != 4 {
		fail("witness.vkey has type %d, want 4", wtyp)
	}
	witV := &cosigV1{name: wname, hash: witS.hash, pub: ed25519.PublicKey(wpub)}
	fmt.Printf("go: keys %s, %s and cosigner %s parse and match their skeys\n", logV.Name(), authorV.Name(), witV.Name())

	// 2. A plain signed note: note.Open verifies it, and note.Sign with our skey gives
	// exactly our bytes (Ed25519 is deterministic).
	step = "note"
	ours := read("note")
	n, err := note.Open(ours, note.VerifierList(authorV))
	check(err, "note.Open")
	if got := sigNames(n.Sigs); len(got) != 1 || got[0] != authorV.Name() || len(n.UnverifiedSigs) != 0 {
		fail("verified signatures %v, unverified %d", got, len(n.UnverifiedSigs))
	}
	if n.Text != string(read("note.text")) {
		fail("note text %q, want %q", n.Text, read("note.text"))
	}
	again, err := note.Sign(&note.Note{Text: n.Text}, authorS)
	check(err, "note.Sign")
	if !bytes.Equal(again, ours) {
		fail("note.Sign with our skey gave\n%s\nours is\n%s", again, ours)
	}
	fmt.Println("go: signed note verified; re-signing it with our skey gives identical bytes")

	// 3. The checkpoint, signed by the log and cosigned by the witness: both signatures
	// verify, and Go signing the text with both of our keys reproduces it byte for byte.
	step = "checkpoint"
	ourCp := read("checkpoint")
	cn, err := note.Open(ourCp, note.VerifierList(logV, witV))
	check(err, "note.Open")
	if got := sigNames(cn.Sigs); len(got) != 2 || got[0] != logV.Name() || got[1] != witV.Name() || len(cn.UnverifiedSigs) != 0 {
		fail("verified signatures %v (want [%s %s]), unverified %d", got, logV.Name(), witV.Name(), len(cn.UnverifiedSigs))
	}
	if witV.seen != cosigTime {
		fail("cosignature timestamp %d, want %d", witV.seen, cosigTime)
	}
	cp := parseCheckpoint(cn.Text)
	if cp.origin != logV.Name() {
		fail("origin %q, want %q", cp.origin, logV.Name())
	}
	again, err = note.Sign(&note.Note{Text: cn.Text}, logS, witS)
	check(err, "note.Sign")
	if !bytes.Equal(again, ourCp) {
		fail("note.Sign with our log and witness skeys gave\n%s\nours is\n%s", again, ourCp)
	}
	fmt.Printf("go: checkpoint %s size %d verified with %v (cosigned at %d); re-signing gives identical bytes\n",
		cp.origin, cp.size, sigNames(cn.Sigs), witV.seen)

	// 4. The tree: tlog computes the same roots from the entries, accepts every proof of
	// ours with CheckRecord/CheckTree, produces the same proofs with ProveRecord/ProveTree,
	// and rejects a tampered proof.
	step = "tree"
	t := &tree{roots: map[int64]tlog.Hash{}}
	var inclusions, consistencies int
	for i, line := range strings.Split(strings.TrimSuffix(string(read("tree")), "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			fail("line %d is empty", i+1)
		}
		switch f[0] {
		case "entry":
			if atoi(f[1]) != int64(len(t.entries)) || len(f) > 3 {
				fail("line %d: entries out of order", i+1)
			}
			e := []byte{}
			if len(f) == 3 {
				e, err = base64.StdEncoding.DecodeString(f[2])
				check(err, "entry base64")
			}
			hs, err := tlog.StoredHashes(int64(len(t.entries)), e, t)
			check(err, "tlog.StoredHashes")
			t.entries = append(t.entries, e)
			t.stored = append(t.stored, hs...)
		case "root":
			size := atoi(f[1])
			ours := parseHashes(f[2:3])[0]
			theirs, err := tlog.TreeHash(size, t)
			check(err, "tlog.TreeHash")
			if ours != theirs {
				fail("root of size %d: ours %v, tlog.TreeHash %v", size, ours, theirs)
			}
			t.roots[size] = ours
		case "inclusion":
			index, size, p := atoi(f[1]), atoi(f[2]), parseHashes(f[3:])
			leaf := tlog.RecordHash(t.entries[index])
			if err := tlog.CheckRecord(p, size, t.roots[size], index, leaf); err != nil {
				fail("tlog.CheckRecord rejects our proof for %d in %d: %v", index, size, err)
			}
			goProof, err := tlog.ProveRecord(size, index, t)
			check(err, "tlog.ProveRecord")
			if !equalHashes(p, goProof) {
				fail("inclusion %d in %d: ours %v, tlog.ProveRecord %v", index, size, p, goProof)
			}
			if len(p) > 0 && tlog.CheckRecord(tamper(p), size, t.roots[size], index, leaf) == nil {
				fail("tlog.CheckRecord accepts a tampered proof for %d in %d", index, size)
			}
			inclusions++
		case "consistency":
			old, size, p := atoi(f[1]), atoi(f[2]), parseHashes(f[3:])
			if err := tlog.CheckTree(p, size, t.roots[size], old, t.roots[old]); err != nil {
				fail("tlog.CheckTree rejects our proof %d -> %d: %v", old, size, err)
			}
			goProof, err := tlog.ProveTree(size, old, t)
			check(err, "tlog.ProveTree")
			if !equalHashes(p, goProof) {
				fail("consistency %d -> %d: ours %v, tlog.ProveTree %v", old, size, p, goProof)
			}
			if len(p) > 0 && tlog.CheckTree(tamper(p), size, t.roots[size], old, t.roots[old]) == nil {
				fail("tlog.CheckTree accepts a tampered proof %d -> %d", old, size)
			}
			consistencies++
		default:
			fail("line %d: unknown keyword %q", i+1, f[0])
		}
	}
	if inclusions == 0 || consistencies == 0 {
		fail("no proofs to check")
	}
	if r, ok := t.roots[cp.size]; !ok || r != cp.root {
		fail("the checkpoint's root is not the root of size %d", cp.size)
	}
	fmt.Printf("go: %d entries: tlog agrees on %d roots, %d inclusion and %d consistency proofs\n",
		len(t.entries), len(t.roots), inclusions, consistencies)

	// 5. Our c2sp.org/tlog-proof@v1, parsed from the spec: header, optional extra, index,
	// inclusion proof, blank line, cosigned checkpoint.
	step = "tlog-proof"
	proof := read("proof.tlog-proof")
	parts := bytes.SplitN(proof, []byte("\n\n"), 2)
	if len(parts) != 2 {
		fail("no blank line")
	}
	lines := strings.Split(string(parts[0]), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		fail("header %q", lines[0])
	}
	lines = lines[1:]
	if strings.HasPrefix(lines[0], "extra ") {
		_, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[0], "extra "))
		check(err, "extra")
		lines = lines[1:]
	}
	if !strings.HasPrefix(lines[0], "index ") {
		fail("no index line: %q", lines[0])
	}
	index := atoi(strings.TrimPrefix(lines[0], "index "))
	rp := tlog.RecordProof(parseHashes(lines[1:]))
	pn, err := note.Open(parts[1], note.VerifierList(logV, witV))
	check(err, "note.Open of the embedded checkpoint")
	if len(pn.Sigs) != 2 {
		fail("embedded checkpoint verified by %v", sigNames(pn.Sigs))
	}
	pcp := parseCheckpoint(pn.Text)
	if index >= int64(len(t.entries)) {
		fail("index %d out of range", index)
	}
	check(tlog.CheckRecord(rp, pcp.size, pcp.root, index, tlog.RecordHash(t.entries[index])), "tlog.CheckRecord")
	if tlog.CheckRecord(rp, pcp.size, pcp.root, index, tlog.RecordHash([]byte("another entry\n"))) == nil {
		fail("a proof for another entry was accepted")
	}
	fmt.Printf("go: tlog-proof verified: entry %d in %s at size %d (%d hashes)\n", index, pcp.origin, pcp.size, len(rp))

	// 6. Go-made artifacts for the Swift side.
	step = "go artifacts"
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/log")
	check(err, "note.GenerateKey")
	gs, err := note.NewSigner(skey)
	check(err, "note.NewSigner")
	write("go.skey", []byte(skey))
	write("go.vkey", []byte(vkey))
	msg, err := note.Sign(&note.Note{Text: "hello from Go\n\nwith an empty line\n"}, gs)
	check(err, "note.Sign")
	write("go.note", msg)

	_, wpriv, err := ed25519.GenerateKey(rand.Reader)
	check(err, "ed25519.GenerateKey")
	gw := newCosigV1("go-witness.example", wpriv, 1767225999)
	write("go-witness.vkey", []byte(gw.vkey()))

	// A checkpoint of the same tree under Go's log, with an extension line, cosigned.
	goRoot, err := tlog.TreeHash(cp.size, t)
	check(err, "tlog.TreeHash")
	goCp, err := note.Sign(&note.Note{Text: fmt.Sprintf("go.example/log\n%d\n%s\nan extension line\n", cp.size, goRoot)}, gs, gw)
	check(err, "note.Sign")
	write("go.checkpoint", goCp)

	// Our checkpoint with a Go cosignature added (note.Sign puts it after ours).
	cosigned, err := note.Sign(&note.Note{Text: cn.Text, Sigs: cn.Sigs}, gw)
	check(err, "note.Sign")
	write("go.cosigned", cosigned)

	// A tlog-proof for the last entry under Go's checkpoint.
	last := cp.size - 1
	goProof, err := tlog.ProveRecord(cp.size, last, t)
	check(err, "tlog.ProveRecord")
	var tp bytes.Buffer
	fmt.Fprintf(&tp, "c2sp.org/tlog-proof@v1\nextra %s\nindex %d\n", base64.StdEncoding.EncodeToString([]byte("made by Go")), last)
	for _, h := range goProof {
		fmt.Fprintf(&tp, "%s\n", h)
	}
	tp.WriteString("\n")
	tp.Write(goCp)
	write("go.tlog-proof", tp.Bytes())
	fmt.Println("go: wrote a key pair, a note, a checkpoint, a cosignature and a tlog-proof")
}
"""#

    /// A build of `source` in a fresh temporary directory (with its own GOCACHE), removed
    /// when the value is released. Building takes about a second.
    public final class Program: Sendable {
        public let directory: URL
        public let binary: String

        /// Builds the program with `go build`. Throws `ToolMissing` (with the install hint)
        /// if go or x/mod is not installed, and `BuildFailure` if the build fails.
        public init(timeout: Double = 120) async throws {
            let go = try ProcessRunner.require("go", hint: GoInterop.installHint)
            let xmod = "\(GoInterop.gopath)/src/golang.org/x/mod/sumdb/note/note.go"
            guard FileManager.default.fileExists(atPath: xmod) else {
                throw ToolMissing("golang.org/x/mod (\(xmod)) is not installed (\(GoInterop.installHint))")
            }
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("att-report-go-interop-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
            binary = dir.appendingPathComponent("interop").path
            try Data(GoInterop.source.utf8).write(to: dir.appendingPathComponent("main.go"))
            let r = try await ProcessRunner.run(go, ["build", "-o", binary, "main.go"],
                                                environment: GoInterop.environment(cache: dir.appendingPathComponent("gocache").path),
                                                directory: dir, timeout: timeout)
            guard r.exitedNormally, r.status == 0 else {
                throw BuildFailure(result: r)
            }
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Runs `interop IN OUT`; the caller checks the result.
        public func run(input: URL, output: URL, timeout: Double = 60) async throws -> ProcessResult {
            try await ProcessRunner.run(binary, [input.path, output.path], timeout: timeout)
        }
    }

    /// `go build` failed; carries its output.
    public struct BuildFailure: Error, CustomStringConvertible {
        public let result: ProcessResult
        public var description: String {
            "go build of the interop program failed (\(GoInterop.installHint) if a package is missing): \(result)"
        }
    }

    /// GOPATH mode against Debian's sources; nothing from the caller's Go setup (GOFLAGS,
    /// go.env, module proxy, toolchain switching) and no cgo.
    static func environment(cache: String) -> [String: String] {
        ["GO111MODULE": "off", "GOPATH": gopath, "GOCACHE": cache, "GOFLAGS": "", "GOENV": "off",
         "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"]
    }
}


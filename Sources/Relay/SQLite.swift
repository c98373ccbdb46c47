import CSQLite

/// The one file that talks to SQLite. A `SQLiteDatabase` owns its connection and its
/// prepared statements and closes them in `deinit`; every return code is checked here and
/// comes back as a `SQLiteError` naming the statement it failed in.
public struct SQLiteError: Error, Equatable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let context: String

    public var description: String { "SQLite error \(code) in \(context): \(message)" }
    /// True when the disk or its quota is full.
    public var isDiskFull: Bool { code & 0xff == SQLITE_FULL }
}

/// A connection. Not thread-safe by itself: the owner serialises access.
public final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: the connection is opened in SQLITE_OPEN_FULLMUTEX mode, and callers
    // serialise statement use; the handle itself never changes after init.
    private let handle: OpaquePointer
    public let path: String
    private var statements: [String: Statement] = [:]

    public init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, context: "open \(path)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        statements.removeAll()  // finalize before closing
        sqlite3_close_v2(handle)
    }

    private func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), context: context)
    }

    /// Runs one or more statements without results (schema, pragmas, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    /// A cached prepared statement for `sql`.
    public func prepare(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare \(sql)") }
        let s = Statement(stmt, database: self, sql: sql)
        statements[sql] = s
        return s
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE … COMMIT), rolling back on error.
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// A prepared statement. Bind, step, read columns, and it resets itself for reuse.
    public final class Statement {
        fileprivate let stmt: OpaquePointer
        private unowned let database: SQLiteDatabase
        let sql: String

        fileprivate init(_ stmt: OpaquePointer, database: SQLiteDatabase, sql: String) {
            self.stmt = stmt; self.database = database; self.sql = sql
        }

        deinit { sqlite3_finalize(stmt) }

        public func bind(_ index: Int32, _ value: Int64) throws {
            try check(sqlite3_bind_int64(stmt, index, value))
        }

        public func bind(_ index: Int32, _ value: String) throws {
            try check(sqlite3_bind_text(stmt, index, value, -1, att_sqlite_transient()))
        }

        public func bind(_ index: Int32, _ bytes: [UInt8]) throws {
            let rc = bytes.withUnsafeBytes { b in
                sqlite3_bind_blob64(stmt, index, b.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(b.count), att_sqlite_transient())
            }
            try check(rc)
        }

        public func bindNull(_ index: Int32) throws { try check(sqlite3_bind_null(stmt, index)) }

        /// Steps once: true if a row is available.
        public func step() throws -> Bool {
            let rc = sqlite3_step(stmt)
            switch rc {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default:
                let e = database.error(rc, sql)
                sqlite3_reset(stmt)
                throw e
            }
        }

        /// Runs a statement without results, then resets it.
        public func run() throws {
            defer { reset() }
            while try step() {}
        }

        public func reset() {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }

        public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }

        public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }

        public func blob(_ column: Int32) -> [UInt8] {
            let n = Int(sqlite3_column_bytes(stmt, column))
            guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        }

        public func text(_ column: Int32) -> String {
            guard let p = sqlite3_column_text(stmt, column) else { return "" }
            return String(cString: p)
        }

        private func check(_ rc: Int32) throws {
            guard rc == SQLITE_OK else { throw database.error(rc, "bind in \(sql)") }
        }
    }
}

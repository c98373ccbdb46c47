import Vault

/// The public site (docs/FORMATS.md §7.6): plain HTML5, one stylesheet, no JavaScript, no
/// cookies, no outside resources. Pure: every page is a function of a `SiteSnapshot`, so
/// the pages are tested without a server. Everything that comes from a sender (file names,
/// party names) is escaped.
public enum PublicSite {
    /// One public envelope as the site lists it.
    public struct Report: Equatable, Sendable {
        public let id: String
        public let party: PartyCode
        public let type: ReportType
        public let year: Int
        public let fileName: String
        /// The manifest time (when the sender sealed it).
        public let sealed: UTCTime
        public let reportSize: UInt64
        public let sealedSize: UInt64
        public let logIndex: UInt64
        public let supersedes: String?
        /// The id of a later public envelope that names this one as superseded.
        public var supersededBy: String?
        /// An annual or initial report sealed as §8 JSON: it has a page of its own.
        public var isStructured: Bool { (type == .annual || type == .initial) && fileName.hasSuffix(".json") }

        public init(id: String, party: PartyCode, type: ReportType, year: Int, fileName: String, sealed: UTCTime,
                    reportSize: UInt64, sealedSize: UInt64, logIndex: UInt64, supersedes: String?, supersededBy: String? = nil) {
            self.id = id; self.party = party; self.type = type; self.year = year; self.fileName = fileName
            self.sealed = sealed; self.reportSize = reportSize; self.sealedSize = sealedSize; self.logIndex = logIndex
            self.supersedes = supersedes; self.supersededBy = supersededBy
        }
    }

    /// A structured report's content (docs/FORMATS.md §8), ready to render.
    public struct StructuredContent: Sendable {
        public let header: [(label: String, value: String)]
        public let tables: [RenderedTable]
        /// `all`, or the one table of a part sealed at its own level.
        public let part: String
        public init(header: [(label: String, value: String)], tables: [RenderedTable], part: String) {
            self.header = header; self.tables = tables; self.part = part
        }
    }

    /// One log's latest signed checkpoint.
    public struct LogHead: Equatable, Sendable {
        public let log: LogName
        public let origin: String
        public let verifierKey: String
        /// The signed checkpoint note, or nil if the log is still empty.
        public let checkpoint: String?
        public let size: UInt64
        public let rootBase64: String
        public init(log: LogName, origin: String, verifierKey: String, checkpoint: String?, size: UInt64, rootBase64: String) {
            self.log = log; self.origin = origin; self.verifierKey = verifierKey; self.checkpoint = checkpoint
            self.size = size; self.rootBase64 = rootBase64
        }
    }

    /// Everything the pages show, read once per request.
    public struct Snapshot: Sendable {
        public let relayName: String
        public let generated: UTCTime
        public let reports: [Report]
        public let status: ReportingStatus
        public let logs: [LogHead]
        public init(relayName: String, generated: UTCTime, reports: [Report], status: ReportingStatus, logs: [LogHead]) {
            self.relayName = relayName; self.generated = generated; self.reports = reports; self.status = status; self.logs = logs
        }
    }

    public static let contentType = "text/html; charset=utf-8"

    // MARK: - Pages

    /// `GET /`: the public reports, newest year first, narrowed by `filter`.
    public static func index(_ s: Snapshot, filter: PublicReportFilter) -> String {
        let shown = s.reports.filter { r in
            (filter.year.map { $0 == r.year } ?? true) && (filter.party.map { $0 == r.party } ?? true)
                && (filter.type.map { $0 == r.type } ?? true)
        }
        var body = "<h1>Public reports</h1>\n"
        body += "<p>Reports that States Parties chose to make public, as they signed them. Each file comes with its "
            + "signature and the relay's receipt; <a href=\"/verify\">how to verify them</a>.</p>\n"
        body += facets(s.reports, filter: filter)
        if shown.isEmpty {
            body += "<p class=\"empty\">No public report" + (filter == PublicReportFilter() ? " yet." : " matches this choice.") + "</p>\n"
        }
        let years = Set(shown.map(\.year)).sorted(by: >)
        for year in years {
            body += "<section aria-labelledby=\"y\(year)\">\n<h2 id=\"y\(year)\">\(year)</h2>\n"
            body += reportTable(shown.filter { $0.year == year }.sorted { ($0.party, $0.type.rawValue, $0.logIndex) < ($1.party, $1.type.rawValue, $1.logIndex) },
                                names: s.status.names)
            body += "</section>\n"
        }
        return page(title: "Public reports", current: "/", snapshot: s, body: body)
    }

    /// `GET /status`: which States Parties submitted which year's reports (metadata only).
    public static func status(_ s: Snapshot) -> String {
        let st = s.status
        var body = "<h1>Reporting status</h1>\n"
        body += "<p>Which States Parties have submitted their initial report and their annual reports, and whether "
            + "they made them public. Only the fact of submission is shown here; a restricted report's content, "
            + "recipients and size are not. Annual reports cover the previous calendar year and are due by 31 May.</p>\n"
        if st.rows.isEmpty { return page(title: "Reporting status", current: "/status", snapshot: s, body: body + "<p class=\"empty\">No State Party in the directory.</p>\n") }
        body += "<div class=\"scroll\"><table class=\"status\">\n<caption>Reports received by this relay</caption>\n<thead><tr><th scope=\"col\">State Party</th><th scope=\"col\">In force</th><th scope=\"col\">Initial</th>"
        for y in st.years { body += "<th scope=\"col\">\(y)</th>" }
        body += "</tr></thead>\n<tbody>\n"
        for row in st.rows {
            body += "<tr><th scope=\"row\"><abbr title=\"\(escape(row.name))\">\(row.party)</abbr> <span class=\"name\">\(escape(row.name))</span></th>"
            body += "<td class=\"nowrap\">\(row.inForce.map { "\($0)" } ?? "–")</td>"
            body += cell(row.initial, label: "Initial")
            for (i, y) in st.years.enumerated() { body += cell(row.annual[i], label: "\(y)") }
            body += "</tr>\n"
        }
        body += "</tbody>\n</table></div>\n"
        body += "<p class=\"legend\"><span class=\"public\">public</span>: submitted and public (linked) · "
            + "<span class=\"restricted\">restricted</span>: submitted, readable by the recipients its State chose · "
            + "<span class=\"due\">due</span>: not received, due by its date (initial report: within a year of entry into force; "
            + "annual report: by 31 May of the next year) · <span class=\"overdue\">overdue</span>: not received, past its date · "
            + "<span class=\"none\">–</span>: not owed (yet)</p>\n"
        return page(title: "Reporting status", current: "/status", snapshot: s, body: body)
    }

    /// `GET /verify`: the current checkpoints and how to check everything with stock tools.
    public static func verify(_ s: Snapshot) -> String {
        var body = "<h1>Verify</h1>\n"
        body += "<p>This relay cannot change a report without being caught. Every envelope is signed by its State with "
            + "<a href=\"https://jedisct1.github.io/minisign/\">minisign</a>, and every submission and every change to "
            + "the key directory is an entry in an append-only transparency log whose checkpoints the relay signs "
            + "(<a href=\"https://c2sp.org/tlog-checkpoint\">C2SP tlog-checkpoint</a>, "
            + "<a href=\"https://c2sp.org/tlog-tiles\">tlog-tiles</a>).</p>\n"
        for head in s.logs {
            body += "<section aria-labelledby=\"log-\(head.log.rawValue)\">\n<h2 id=\"log-\(head.log.rawValue)\">The \(head.log.rawValue) log</h2>\n"
            body += "<dl>\n<dt>Origin</dt><dd><code>\(escape(head.origin))</code></dd>\n"
            body += "<dt>Entries</dt><dd>\(head.size)</dd>\n"
            body += "<dt>Root hash</dt><dd><code>\(escape(head.rootBase64))</code></dd>\n"
            body += "<dt>Verifier key</dt><dd><code class=\"wrap\">\(escape(head.verifierKey))</code></dd>\n</dl>\n"
            if let cp = head.checkpoint {
                body += "<p>Latest signed checkpoint (<a href=\"/v1/logs/\(head.log.rawValue)/checkpoint\">download</a>):</p>\n<pre>\(escape(cp))</pre>\n"
            } else {
                body += "<p>The log is empty: nothing has been signed yet.</p>\n"
            }
            body += "</section>\n"
        }
        body += """
        <section aria-labelledby="how">
        <h2 id="how">How to verify</h2>
        <h3>A public report</h3>
        <ol>
        <li>Download the envelope, its signature and its receipt from <a href="/">the report list</a> (keep the file names).</li>
        <li>Check the State's signature with its public key from the directory:
        <pre>minisign -Vm ID.att -P STATE_PUBLIC_KEY</pre>
        The trusted comment it prints names the sender, type, year and disclosure level.</li>
        <li>Unpack it: <code>tar -xf ID.att</code> gives the report, its inner signature and a manifest. Check the inner
        signature: <pre>minisign -Vm REPORT -P STATE_PUBLIC_KEY</pre></li>
        <li>Or do all of it, and check the receipt against the log, with <code>att-report verify ID.att</code>.</li>
        </ol>
        <h3>The logs</h3>
        <p>Pin the verifier keys above once, from a source you trust. Then <code>att-report audit --relay URL</code>
        fetches both logs, checks that each checkpoint is consistent with the ones it pinned before (so that nothing was
        dropped, reordered or swapped), re-verifies every envelope's signature against the directory as it stood, and checks
        every receipt you hold. The logs follow C2SP tlog-tiles under <code>/v1/logs/submissions/</code> and
        <code>/v1/logs/directory/</code>, so any tlog client can check them too.</p>
        <p>A submissions log entry is the SHA-256 of an envelope's signature file: the log proves what was received
        without telling the public who sent a restricted report to whom.</p>
        </section>

        """
        return page(title: "Verify", current: "/verify", snapshot: s, body: body)
    }

    /// `GET /reports/<id>`: a public structured report as tables, with its downloads and
    /// its versions. `content` nil: the report could not be read as §8 JSON (it is offered
    /// for download only).
    public static func reportPage(_ s: Snapshot, report r: Report, content: StructuredContent?) -> String {
        let name = s.status.names[r.party] ?? r.party.rawValue
        var body = "<h1>\(escape(name)): \(r.type.rawValue) report \(r.year)</h1>\n"
        body += reportTable([r], names: s.status.names)
        guard let content else {
            return page(title: "\(r.party) \(r.type.rawValue) \(r.year)", current: "", snapshot: s,
                        body: body + "<p>This file is not a structured report; download it above.</p>\n")
        }
        if content.part != "all" {
            body += "<p>This envelope holds the <strong>\(escape(content.part))</strong> table only: the State sealed each "
                + "table of this report at its own disclosure level.</p>\n"
        }
        body += "<dl>\n"
        for (label, value) in content.header where !value.isEmpty {
            body += "<dt>\(escape(label))</dt><dd>\(escape(value))</dd>\n"
        }
        body += "</dl>\n"
        for t in content.tables {
            body += "<section aria-labelledby=\"t-\(escape(t.name))\">\n<h2 id=\"t-\(escape(t.name))\">\(escape(t.title))</h2>\n"
            if t.isNil {
                body += "<p>Nil report: nothing to report in this table.</p>\n</section>\n"
                continue
            }
            body += "<div class=\"scroll\"><table class=\"data\">\n<thead><tr>"
            for c in t.columns { body += "<th scope=\"col\">\(escape(c))</th>" }
            body += "</tr></thead>\n<tbody>\n"
            for row in t.rows {
                body += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</tbody>\n</table></div>\n</section>\n"
        }
        return page(title: "\(r.party) \(r.type.rawValue) \(r.year)", current: "", snapshot: s, body: body)
    }

    /// `GET /style.css`: readable on a phone (one column below 40em), high contrast,
    /// respects the reader's font size and dark mode.
    public static let stylesheet = """
    :root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#555;--line:#ccc;--accent:#0b5394;--pub:#1e6b2f;--res:#8a4b00}
    @media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#121212;--muted:#aaa;--line:#444;--accent:#8ab4f8;--pub:#7bd88f;--res:#ffb86b}}
    *{box-sizing:border-box}
    body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
    header,main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
    header{border-bottom:1px solid var(--line)}
    header p{margin:.5rem 0 0;font-weight:600}
    nav ul{list-style:none;margin:0;padding:.5rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
    nav a[aria-current]{font-weight:700;text-decoration:none}
    a{color:var(--accent)}
    a:focus{outline:3px solid var(--accent);outline-offset:2px}
    h1{font-size:1.6rem;margin:1rem 0 .5rem}
    h2{font-size:1.3rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}
    code,pre{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
    pre{overflow-x:auto;padding:.5rem;border:1px solid var(--line);white-space:pre}
    .wrap{overflow-wrap:anywhere}
    .scroll{overflow-x:auto}
    time,.nowrap{white-space:nowrap}
    table{border-collapse:collapse;width:100%;margin:.5rem 0}
    caption{text-align:left;color:var(--muted);padding:.25rem 0}
    th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
    .facets{margin:.5rem 0}
    .facets p{margin:.25rem 0}
    .facets a{display:inline-block;padding:.1rem .4rem;margin:.1rem 0}
    .facets a[aria-current]{background:var(--accent);color:var(--bg);text-decoration:none;border-radius:.2rem}
    .downloads a{display:inline-block;margin:0 .6rem .2rem 0}
    .public{color:var(--pub);font-weight:600}.restricted{color:var(--res)}.overdue{color:#b00020;font-weight:600}.due{font-style:italic}.none,.empty,.legend,footer{color:var(--muted)}
    .name{display:block;font-weight:400;color:var(--muted);font-size:.85em}
    table.data td{font-variant-numeric:tabular-nums}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dd{margin:0;min-width:0}
    footer{border-top:1px solid var(--line);margin-top:2rem;padding-bottom:2rem;font-size:.9em}
    @media (max-width:40em){
      table.reports thead{position:absolute;left:-9999px}
      table.reports tr{display:block;border-bottom:2px solid var(--line);padding:.4rem 0}
      table.reports td{display:block;border:0;padding:.1rem 0}
      table.reports td::before{content:attr(data-label) ": ";font-weight:600}
      dl{grid-template-columns:1fr}dt{font-weight:600}
    }

    """

    // MARK: - Parts

    static func page(title: String, current: String, snapshot s: Snapshot, body: String) -> String {
        var html = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(escape(title)) · ATT reports · \(escape(s.relayName))</title>\n"
        html += "<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n"
        html += "<header>\n<p>Arms Trade Treaty reports</p>\n<nav aria-label=\"Site\"><ul>"
        for (href, label) in [("/", "Public reports"), ("/status", "Reporting status"), ("/verify", "Verify")] {
            html += "<li><a href=\"\(href)\"" + (href == current ? " aria-current=\"page\"" : "") + ">\(label)</a></li>"
        }
        html += "</ul></nav>\n</header>\n<main>\n" + body + "</main>\n"
        html += "<footer><p>Relay <code>\(escape(s.relayName))</code> · page made \(s.generated) · "
            + "<a href=\"/v1/openapi.yaml\">API</a> · no cookies, no scripts</p></footer>\n</body>\n</html>\n"
        return html
    }

    /// Links that narrow the list by year, State and type (a form would send empty values).
    static func facets(_ reports: [Report], filter: PublicReportFilter) -> String {
        func query(_ f: PublicReportFilter) -> String {
            var q: [String] = []
            if let y = f.year { q.append("year=\(y)") }
            if let p = f.party { q.append("party=\(p)") }
            if let t = f.type { q.append("type=\(t.rawValue)") }
            return q.isEmpty ? "/" : "/?" + q.joined(separator: "&amp;")
        }
        func link(_ label: String, _ f: PublicReportFilter, current: Bool) -> String {
            "<a href=\"\(query(f))\"" + (current ? " aria-current=\"true\"" : "") + ">\(escape(label))</a>"
        }
        guard !reports.isEmpty else { return "" }
        var html = "<nav class=\"facets\" aria-label=\"Narrow the list\">\n"
        var f = filter
        f.year = nil
        html += "<p>Year: " + link("all", f, current: filter.year == nil)
        for y in Set(reports.map(\.year)).sorted(by: >) { f.year = y; html += " " + link("\(y)", f, current: filter.year == y) }
        f = filter
        f.party = nil
        html += "</p>\n<p>State: " + link("all", f, current: filter.party == nil)
        for p in Set(reports.map(\.party)).sorted() { f.party = p; html += " " + link(p.rawValue, f, current: filter.party == p) }
        f = filter
        f.type = nil
        html += "</p>\n<p>Type: " + link("all", f, current: filter.type == nil)
        for t in ReportType.allCases where reports.contains(where: { $0.type == t }) {
            f.type = t
            html += " " + link(t.rawValue, f, current: filter.type == t)
        }
        return html + "</p>\n</nav>\n"
    }

    static func reportTable(_ reports: [Report], names: [PartyCode: String]) -> String {
        var html = "<table class=\"reports\">\n<thead><tr><th scope=\"col\">State</th><th scope=\"col\">Type</th>"
            + "<th scope=\"col\">Sealed</th><th scope=\"col\">Version</th><th scope=\"col\">Download</th></tr></thead>\n<tbody>\n"
        for r in reports {
            let name = names[r.party] ?? r.party.rawValue
            html += "<tr id=\"\(r.id)\"><td data-label=\"State\"><abbr title=\"\(escape(name))\">\(r.party)</abbr> \(escape(name))</td>"
            html += "<td data-label=\"Type\">\(r.type.rawValue)</td>"
            html += "<td data-label=\"Sealed\"><time datetime=\"\(r.sealed)\">\(r.sealed.description.prefix(10))</time></td>"
            var version = "original"
            if let s = r.supersedes { version = "amends <a href=\"#\(escape(s))\">\(escape(s))</a>" }
            if let by = r.supersededBy { version += "; superseded by <a href=\"#\(escape(by))\">\(escape(by))</a>" }
            html += "<td data-label=\"Version\">\(version)</td>"
            let base = "/v1/envelopes/\(r.id)"
            html += "<td data-label=\"Download\" class=\"downloads\">"
            if r.isStructured { html += "<a href=\"/reports/\(r.id)\">view</a> " }
            html += "<a href=\"\(base)/report\" download=\"\(escape(r.fileName))\">\(escape(r.fileName))</a> (\(size(r.reportSize)))"
            html += " <a href=\"\(base)\" download=\"\(r.id).att\">envelope</a>"
            html += " <a href=\"\(base)/signature\" download=\"\(r.id).att.minisig\">signature</a>"
            html += " <a href=\"\(base)/receipt\" download=\"\(r.id).att.tlog-proof\">receipt</a></td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    static func cell(_ c: ReportingStatus.Cell, label: String) -> String {
        switch c {
        case .missing(.overdue?): return "<td data-label=\"\(label)\"><span class=\"overdue\">overdue</span></td>"
        case .missing(.due?): return "<td data-label=\"\(label)\"><span class=\"due\">due</span></td>"
        case .missing: return "<td data-label=\"\(label)\"><span class=\"none\" title=\"not received, not owed yet\">–</span></td>"
        case .restricted: return "<td data-label=\"\(label)\"><span class=\"restricted\">restricted</span></td>"
        case .public(let id): return "<td data-label=\"\(label)\"><a class=\"public\" href=\"/#\(id)\">public</a></td>"
        }
    }

    static func size(_ n: UInt64) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return "\((n + 512) / 1024) KiB" }
        return "\((n + 512 * 1024) / (1024 * 1024)) MiB"
    }

    /// HTML text and attribute escaping.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

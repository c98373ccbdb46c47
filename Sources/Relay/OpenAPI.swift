/// The OpenAPI 3 description of the relay, served at `GET /v1/openapi.yaml`
/// (docs/FORMATS.md §7). `Tests/RelayTests/OpenAPITests.swift` keeps its paths, methods and
/// security in step with `Router`.
public enum OpenAPI {
    /// The media type it is served as (RFC 9512).
    public static let contentType = "application/yaml"

    public static let document = """
    openapi: 3.0.3
    info:
      title: att-report relay
      version: "1"
      description: >-
        The relay of att-report (docs/FORMATS.md §7). HEAD is accepted wherever GET is and
        answers as GET without a body. Nothing in a request target is percent-decoded: paths
        contain only A-Z a-z 0-9 - . _ ~ / and queries only those and = &; a target is at
        most 2048 bytes (414). Every error is one text/plain line with Cache-Control: no-store.
        A request to a route without authentication ignores any Authorization header; on a
        route with optional authentication a present signature MUST verify (401).
    paths:
      /:
        get:
          operationId: siteIndex
          summary: Public site, the public reports (HTML)
          parameters:
            - name: year
              in: query
              schema: {type: string, pattern: "^[1-9][0-9]{3}$"}
            - name: party
              in: query
              schema: {$ref: "#/components/schemas/PartyCode"}
            - name: type
              in: query
              schema: {$ref: "#/components/schemas/ReportType"}
          responses:
            "200": {description: "HTML page", content: {text/html: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /status:
        get:
          operationId: siteStatus
          summary: Reporting status, metadata only (HTML)
          responses:
            "200": {description: "HTML page", content: {text/html: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /verify:
        get:
          operationId: siteVerify
          summary: Current checkpoints and how to verify them (HTML)
          responses:
            "200": {description: "HTML page", content: {text/html: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /reports/{id}:
        get:
          operationId: siteReport
          summary: A public structured report (annual or initial) as HTML tables
          parameters:
            - $ref: "#/components/parameters/EnvelopeID"
          responses:
            "200": {description: "HTML page", content: {text/html: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /style.css:
        get:
          operationId: siteStylesheet
          summary: The site's stylesheet
          responses:
            "200": {description: "CSS", content: {text/css: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /healthz:
        get:
          operationId: health
          summary: Liveness, "ok" LF
          responses:
            "200": {description: "ok LF", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /v1/openapi.yaml:
        get:
          operationId: openAPI
          summary: This document
          responses:
            "200": {description: "OpenAPI 3 (YAML)", content: {application/yaml: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
      /v1/logs/{log}/checkpoint:
        get:
          operationId: checkpoint
          summary: The log's latest signed checkpoint (§3.6)
          parameters:
            - $ref: "#/components/parameters/Log"
          responses:
            "200": {description: "signed note", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/logs/{log}/key:
        get:
          operationId: logKey
          summary: The log's note verifier key (§3.3), LF
          parameters:
            - $ref: "#/components/parameters/Log"
          responses:
            "200": {description: "verifier key LF", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/logs/{log}/tile/{level}/{index}:
        get:
          operationId: tile
          summary: A hash tile (C2SP tlog-tiles, §3.12)
          description: >-
            index is a tlog-tiles index and spans several path segments: groups of three
            digits, all but the last prefixed x (x001/x234/067), no leading x000 group; a
            partial tile appends .p/W to the last group, W 1-255. A tile index with
            256*(N+1) > 2^63-1, or a tile the tree does not have, is 404.
          parameters:
            - $ref: "#/components/parameters/Log"
            - name: level
              in: path
              required: true
              schema: {type: integer, minimum: 0, maximum: 63}
            - $ref: "#/components/parameters/TileIndex"
          responses:
            "200": {description: "hash tile", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/logs/{log}/tile/entries/{index}:
        get:
          operationId: entryBundle
          summary: An entry bundle (C2SP tlog-tiles, §3.12)
          description: index as for hash tiles.
          parameters:
            - $ref: "#/components/parameters/Log"
            - $ref: "#/components/parameters/TileIndex"
          responses:
            "200": {description: "entry bundle", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/logs/{log}/proof/inclusion:
        get:
          operationId: inclusionProof
          summary: Inclusion proof, by leaf index or leaf hash (§3.7)
          description: >-
            Exactly one of index and hash. A size above the latest checkpoint's, or a hash
            not in the log, is 404.
          parameters:
            - $ref: "#/components/parameters/Log"
            - name: size
              in: query
              required: true
              schema: {$ref: "#/components/schemas/Decimal"}
            - name: index
              in: query
              description: Decimal below size.
              schema: {$ref: "#/components/schemas/Decimal"}
            - name: hash
              in: query
              description: The leaf hash SHA-256(0x00 || entry), 64 lower-case hex digits.
              schema: {type: string, pattern: "^[0-9a-f]{64}$"}
          responses:
            "200": {description: '"index <decimal>" LF, then one b64(hash) LF per proof hash', content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/logs/{log}/proof/consistency:
        get:
          operationId: consistencyProof
          summary: Consistency proof between two tree sizes, 1 <= old <= new (§3.8)
          parameters:
            - $ref: "#/components/parameters/Log"
            - name: old
              in: query
              required: true
              schema: {type: string, pattern: "^(0|[1-9][0-9]{0,18})$", description: "Decimal, at least 1, at most new."}
            - name: new
              in: query
              required: true
              schema: {$ref: "#/components/schemas/Decimal"}
          responses:
            "200": {description: "one b64(hash) LF per proof hash", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "404": {$ref: "#/components/responses/NotFound"}
      /v1/envelopes:
        get:
          operationId: listEnvelopes
          summary: The envelopes the caller may read, in log order
          description: >-
            One line per envelope, "<log index> SP <outer trusted comment> LF", at most
            limit lines, from submissions-log index since on. Anonymous callers see public
            envelopes; a signed request also those its party may read (§7.4).
          security:
            - {}
            - attEd25519: []
          parameters:
            - name: from
              in: query
              description: The sender.
              schema: {$ref: "#/components/schemas/PartyCode"}
            - name: to
              in: query
              description: A party in to=.
              schema: {$ref: "#/components/schemas/PartyCode"}
            - name: type
              in: query
              schema: {$ref: "#/components/schemas/ReportType"}
            - name: year
              in: query
              schema: {type: string, pattern: "^[1-9][0-9]{3}$"}
            - name: level
              in: query
              schema: {$ref: "#/components/schemas/DisclosureLevel"}
            - name: since
              in: query
              schema: {$ref: "#/components/schemas/Decimal"}
            - name: limit
              in: query
              schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
          responses:
            "200": {description: "envelope lines", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "503": {$ref: "#/components/responses/Unavailable"}
        post:
          operationId: submitEnvelope
          summary: Submit an envelope (§7.3)
          description: >-
            The body is the outer signature file (four lines, at most 16384 bytes) followed
            by the sealed file; at most the relay's configured upload limit (default 256 MiB).
            The same envelope sent again by its sender gets its receipt again (200).
          security:
            - attEd25519: []
          requestBody:
            required: true
            content:
              application/octet-stream: {schema: {type: string, format: binary, maxLength: 268435456}}
          responses:
            "200": {description: "a repeat, the stored receipt", content: {text/plain: {schema: {type: string}}}}
            "201":
              description: the receipt (tlog proof, §3.7)
              headers:
                Location: {description: /v1/envelopes/<id>, schema: {type: string}}
              content: {text/plain: {schema: {type: string}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "409": {$ref: "#/components/responses/Conflict"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/envelopes/{id}:
        get:
          operationId: envelope
          summary: The sealed file
          security:
            - {}
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/EnvelopeID"
          responses:
            "200": {description: "sealed file", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/envelopes/{id}/signature:
        get:
          operationId: envelopeSignature
          summary: The outer signature file (.minisig)
          security:
            - {}
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/EnvelopeID"
          responses:
            "200": {description: "outer signature file", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/envelopes/{id}/receipt:
        get:
          operationId: envelopeReceipt
          summary: The receipt, the tlog proof of SHA-256(outer signature file)
          security:
            - {}
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/EnvelopeID"
          responses:
            "200": {description: "receipt", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/envelopes/{id}/report:
        get:
          operationId: envelopeReport
          summary: The report inside a public envelope, unpacked from its container
          description: >-
            Only for public envelopes (a restricted one is encrypted; the relay cannot read it),
            which the relay opened in full (every check of §6.4) when it received them. Any
            other id is 404. The file is the report byte for byte; verify it with its inner
            signature, which is in the envelope.
          security:
            - {}
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/EnvelopeID"
          responses:
            "200": {description: "the report", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/directory/statements:
        get:
          operationId: statements
          summary: Directory log entries from index from
          description: >-
            Up to limit entries, each a big-endian uint16 length and the statement (the
            framing of an entry bundle); an empty body from the log's size on.
          parameters:
            - name: from
              in: query
              schema: {$ref: "#/components/schemas/Decimal"}
            - name: limit
              in: query
              schema: {type: integer, minimum: 1, maximum: 1000, default: 100}
          responses:
            "200": {description: "framed statements", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
        post:
          operationId: submitStatement
          summary: Submit a signed directory statement (§5.2)
          description: >-
            Needs no request signature: a statement carries its own, and is appended only
            if replay (§5.4) accepts it. The same statement again gets its receipt again (200).
          requestBody:
            required: true
            content:
              text/plain: {schema: {type: string, maxLength: 16384}}
          responses:
            "200": {description: "a repeat, its receipt", content: {text/plain: {schema: {type: string}}}}
            "201": {description: "the receipt (tlog proof) of the new entry", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/contacts:
        get:
          operationId: contacts
          summary: One line per party with a contacts document, "<party> SP <sha256 hex> LF"
          security:
            - attEd25519: []
          responses:
            "200": {description: "contacts index", content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /v1/contacts/{party}:
        get:
          operationId: partyContacts
          summary: That party's contacts document
          security:
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/Party"
          responses:
            "200": {description: "contacts document", content: {application/octet-stream: {schema: {type: string, format: binary}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
        put:
          operationId: uploadContacts
          summary: Upload the party's contacts document (by the party or the Secretariat)
          description: Its SHA-256 MUST be the party's contacts-sha256 in the directory (422).
          security:
            - attEd25519: []
          parameters:
            - $ref: "#/components/parameters/Party"
          requestBody:
            required: true
            content:
              application/octet-stream: {schema: {type: string, format: binary, maxLength: 65536}}
          responses:
            "204": {description: stored}
            "400": {$ref: "#/components/responses/BadRequest"}
            "414": {$ref: "#/components/responses/UriTooLong"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
    components:
      securitySchemes:
        attEd25519:
          type: apiKey
          in: header
          name: Authorization
          description: >-
            A signed request (§7.2), not a key: "Authorization: ATT-Ed25519
            party=<party>,key=<key id>,time=<time>,nonce=<nonce>,sig=<sig>", the five fields
            in this order, no white space, at most 512 bytes. sig is the Ed25519 signature,
            padded base64, by one of the party's directory keys, of the LF-terminated lines
            "att-report/request/v1", relay name, method, request target as sent,
            SHA-256 of the body (lower-case hex), party, key id, time, nonce. time is POSIX
            seconds within 300 s of the relay's clock; nonce is 32 lower-case hex digits,
            fresh for every request. Failures are 401 with WWW-Authenticate: ATT-Ed25519.
      parameters:
        Log:
          name: log
          in: path
          required: true
          schema: {type: string, enum: [submissions, directory]}
        TileIndex:
          name: index
          in: path
          required: true
          description: A tlog-tiles index, possibly several path segments, with an optional .p/W suffix.
          schema: {type: string, pattern: "^(x[0-9]{3}/)*[0-9]{3}(\\\\.p/([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))?$"}
        EnvelopeID:
          name: id
          in: path
          required: true
          description: An envelope id (§6.1), 26 symbols of Crockford base32 starting 0-7.
          schema: {type: string, pattern: "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"}
        Party:
          name: party
          in: path
          required: true
          schema: {$ref: "#/components/schemas/PartyCode"}
      schemas:
        Decimal:
          type: string
          description: Digits, no sign, no leading zero except 0, at most 2^63-1.
          pattern: "^(0|[1-9][0-9]{0,18})$"
        PartyCode:
          type: string
          description: A party code (§5.1).
          pattern: "^[A-Z]{3}$"
        ReportType:
          type: string
          description: A report type (§5.1).
          enum: [initial, annual, amendment, message, assistance-request, assistance-offer]
        DisclosureLevel:
          type: string
          description: A disclosure level (§5.1).
          enum: [public, states-parties, secretariat, selected]
      responses:
        BadRequest: {description: "malformed target, query, header or body", content: {text/plain: {schema: {type: string}}}}
        UriTooLong: {description: "request target over 2048 bytes", content: {text/plain: {schema: {type: string}}}}
        Unauthorized:
          description: signature missing or not verifying
          headers:
            WWW-Authenticate: {schema: {type: string, enum: [ATT-Ed25519]}}
          content: {text/plain: {schema: {type: string}}}
        Forbidden: {description: "authenticated, not allowed", content: {text/plain: {schema: {type: string}}}}
        NotFound: {description: "no such resource, or one the caller may not know exists", content: {text/plain: {schema: {type: string}}}}
        Conflict: {description: "conflicts with what the relay holds", content: {text/plain: {schema: {type: string}}}}
        TooLarge: {description: "body over the route's limit", content: {text/plain: {schema: {type: string}}}}
        Unprocessable: {description: "well-formed but refused", content: {text/plain: {schema: {type: string}}}}
        Unavailable:
          description: the relay cannot take the request now
          headers:
            Retry-After: {schema: {type: integer}}
          content: {text/plain: {schema: {type: string}}}
    """
}

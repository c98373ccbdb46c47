"""Schemathesis hooks for scripts/api-fuzz: signs every request as docs/FORMATS.md §7.2 says.

Loaded with SCHEMATHESIS_HOOKS=scripts/schemathesis_hooks.py. With ATT_FUZZ_KEYS unset it
does nothing (the anonymous pass). With ATT_FUZZ_KEYS set to a comma-separated list of
PARTY=PATH (each PATH an unencrypted minisign secret key file, §2.3.2) and ATT_FUZZ_RELAY
to the relay's name, every request gets an `Authorization: ATT-Ed25519 …` header signed
with those keys in turn, over the request target and body exactly as `requests` sends them
(the signature is made on the prepared request, after the URL and body are encoded).

With ATT_FUZZ_TALLY set to a path, the statuses seen are written there as JSON when the run
ends: {"statuses": {"200": n, ...}, "unauthenticated": [the first 401 bodies]}, so that
scripts/api-fuzz can check that signed requests were accepted (no 401 in the signed pass).
"""

import atexit
import base64
import collections
import hashlib
import itertools
import json
import os
import struct
import threading
import time

import requests
import schemathesis
from nacl.signing import SigningKey


class KeyFileError(Exception):
    pass


def load_secret_key(path):
    """(key id as 16 upper-case hex digits, SigningKey) from an unencrypted minisign secret key file."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if len(lines) < 2 or not lines[0].startswith(b"untrusted comment: "):
        raise KeyFileError(f"{path}: not a minisign secret key file")
    raw = base64.b64decode(lines[1], validate=True)
    if len(raw) != 158 or raw[0:2] != b"Ed" or raw[4:6] != b"B2":
        raise KeyFileError(f"{path}: not an Ed25519 minisign secret key")
    if raw[2:4] != b"\x00\x00":
        raise KeyFileError(f"{path}: the key is encrypted; api-fuzz needs an unencrypted example key")
    key_id = "%016X" % struct.unpack("<Q", raw[54:62])[0]
    seed, public = raw[62:94], raw[94:126]
    signing = SigningKey(seed)
    if bytes(signing.verify_key) != public:
        raise KeyFileError(f"{path}: the public half does not match the seed")
    return key_id, signing


class ATTEd25519(requests.auth.AuthBase):
    """A requests auth that signs the prepared request (§7.2.2) with the next party key."""

    def __init__(self, relay, keys):
        self.relay = relay
        self.keys = itertools.cycle(keys)
        self.lock = threading.Lock()

    def __call__(self, r):
        with self.lock:
            party, key_id, signing = next(self.keys)
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if not isinstance(body, (bytes, bytearray)):
            raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")
        now = str(int(time.time()))
        nonce = os.urandom(16).hex()
        message = "".join(
            line + "\n"
            for line in [
                "att-report/request/v1",
                self.relay,
                r.method,
                r.path_url,
                hashlib.sha256(body).hexdigest(),
                party,
                key_id,
                now,
                nonce,
            ]
        ).encode("utf-8")
        sig = base64.b64encode(signing.sign(message).signature).decode("ascii")
        r.headers["Authorization"] = f"ATT-Ed25519 party={party},key={key_id},time={now},nonce={nonce},sig={sig}"
        return r


def _auth_from_env():
    spec = os.environ.get("ATT_FUZZ_KEYS", "")
    if not spec:
        return None
    relay = os.environ["ATT_FUZZ_RELAY"]
    keys = []
    for item in spec.split(","):
        party, _, path = item.partition("=")
        key_id, signing = load_secret_key(path)
        keys.append((party, key_id, signing))
    return ATTEd25519(relay, keys)


_AUTH = _auth_from_env()


@schemathesis.hook
def before_call(context, case, kwargs):
    if _AUTH is not None:
        kwargs["auth"] = _AUTH


_TALLY = collections.Counter()
_UNAUTHENTICATED = []


@schemathesis.hook
def after_call(context, case, response):
    _TALLY[str(response.status_code)] += 1
    if response.status_code == 401 and len(_UNAUTHENTICATED) < 5:
        _UNAUTHENTICATED.append(f"{case.method} {response.request.path_url[:200]}: {response.content[:200]!r}")


@atexit.register
def _write_tally():
    path = os.environ.get("ATT_FUZZ_TALLY")
    if path:
        with open(path, "w") as f:
            json.dump({"statuses": dict(_TALLY), "unauthenticated": _UNAUTHENTICATED}, f)

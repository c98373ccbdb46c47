#!/usr/bin/env python3
"""make bench, relay part: wrk on loopback against a release `att-report serve`.

1. GET of one 64 KiB public envelope from the relay, side by side with nginx serving the
   same file (same wrk settings, interleaved runs, medians). Target: relay >= 80% of nginx.
2. Signed POST of distinct 4 KiB envelopes (made and signed by `att-logbench requests`,
   replayed by scripts/wrk-post.lua), each answered 201 only once it is durable and in a
   signed checkpoint. Target: >= 2,000 durable submissions/s. The relay's checkpoint
   size afterwards must equal the 201s counted.
p50/p99 latencies are quoted for both. Nothing here is a test; it prints a table.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def start_relay(att, data, directory, threads):
    out = open(os.path.join(data + ".out"), "w")
    p = subprocess.Popen([att, "serve", "--port", "0", "--data", data, "--directory", directory] +
                         (["--threads", str(threads)] if threads else []),
                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        text = open(data + ".out").read()
        m = re.search(r"^url (\S+)$", text, re.M)
        k = re.search(r"^submissions-key (\S+)$", text, re.M)
        if m and k:
            return p, m.group(1), k.group(1).split("+")[0].rsplit("/submissions", 1)[0]
        if p.poll() is not None:
            sys.exit("bench-relay: att-report serve exited: " + text)
        time.sleep(0.05)
    p.kill()
    sys.exit("bench-relay: att-report serve did not start")


def start_nginx(root, port, prefix):
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
master_process on;
worker_processes auto;
user root;
error_log stderr error;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ default_type application/octet-stream; }}
  }}
}}
""")
    p = subprocess.Popen(["nginx", "-c", conf, "-p", prefix], stdin=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
        except urllib.error.HTTPError:
            return p
        except Exception:
            time.sleep(0.05)
            continue
        return p
    p.kill()
    sys.exit("bench-relay: nginx did not start")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wrk_get(url, threads, conns, seconds):
    out = run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", url]).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        v = float(m.group(1))
        lat[pct] = v / 1000 if m.group(2) == "us" else v if m.group(2) == "ms" else v * 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"bench-relay: {url} answered {errors.group(1)} errors:\n{out}")
    return rps, lat["50"], lat["99"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--att-report", required=True)
    ap.add_argument("--logbench", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--posts", type=int, default=40000)
    ap.add_argument("--relay-threads", type=int, default=0, help="att-report serve --threads (default: its own)")
    args = ap.parse_args()
    threads = 2
    att = os.path.abspath(args.att_report)
    example = os.path.join(ROOT, "keys-example")
    work = tempfile.mkdtemp(prefix="att-bench-relay-")
    os.chmod(work, 0o755)
    procs = []
    try:
        directory = os.path.join(work, "directory")
        home = os.path.join(work, "home")
        shutil.copytree(os.path.join(example, "directory"), directory)
        shutil.copytree(os.path.join(example, "home"), home)
        relay, url, name = start_relay(att, os.path.join(work, "data"), directory, args.relay_threads)
        procs.append(relay)

        # One public 64 KiB envelope, submitted with the CLI.
        report = os.path.join(work, "report.bin")
        with open(report, "wb") as f:
            f.write(os.urandom(65536 - 2048))
        sealed = os.path.join(work, "public.att")
        run([att, "seal", "--home", home, "--directory", directory, "--party", "FRA", "--type", "annual",
             "--year", "2025", "--level", "public", "-o", sealed, report])
        run([att, "submit", "--relay", url, "--party", "FRA", "--home", home, sealed])
        ident = re.search(r"id=(\S+)", open(sealed + ".minisig").read()).group(1)
        size = os.path.getsize(sealed)
        www = os.path.join(work, "www")
        os.makedirs(www)
        shutil.copy(sealed, os.path.join(www, ident))
        os.chmod(os.path.join(www, ident), 0o644)
        nginx_port = free_port()
        nginx = start_nginx(www, nginx_port, work)
        procs.append(nginx)
        relay_url = f"{url}/v1/envelopes/{ident}"
        nginx_url = f"http://127.0.0.1:{nginx_port}/{ident}"
        for u in (relay_url, nginx_url):
            body = urllib.request.urlopen(u).read()
            if body != open(sealed, "rb").read():
                sys.exit(f"bench-relay: {u} does not serve the envelope")

        results = {"relay": [], "nginx": []}
        for _ in range(args.repeat):
            for who, u in (("relay", relay_url), ("nginx", nginx_url)):
                results[who].append(wrk_get(u, threads, args.connections, args.seconds))
        med = {w: tuple(statistics.median(r[i] for r in rs) for i in range(3)) for w, rs in results.items()}

        # Signed POSTs of 4 KiB envelopes, signed now (inside the relay's time window).
        reqs = os.path.join(work, "requests.bin")
        t0 = time.time()
        run([os.path.abspath(args.logbench), "requests", name, home, directory, str(args.posts), "4096", reqs])
        gen = time.time() - t0
        before = int(urllib.request.urlopen(f"{url}/v1/logs/submissions/checkpoint").read().split(b"\n")[1])
        out = run(["wrk", f"-t{threads}", f"-c{args.connections}", f"-d{args.seconds}s", "-s",
                   os.path.join(ROOT, "scripts", "wrk-post.lua"), f"{url}/v1/envelopes", "--", reqs, str(threads)]).stdout
        vals = dict(re.findall(r"^(created|other|duration_us|p50_us|p99_us) (\d+)$", out, re.M))
        created, other = int(vals["created"]), int(vals["other"])
        seconds = int(vals["duration_us"]) / 1e6
        after = int(urllib.request.urlopen(f"{url}/v1/logs/submissions/checkpoint").read().split(b"\n")[1])
        if other:
            sys.exit(f"bench-relay: {other} uploads were refused:\n{out}")
        # Uploads still in flight when wrk stops are committed without being counted.
        if not created <= after - before <= created + args.connections:
            sys.exit(f"bench-relay: {created} answered 201 but the log grew by {after - before}")
        if created >= args.posts:
            print(f"bench-relay: warning: all {args.posts} requests were used; the rate is a lower bound", file=sys.stderr)

        r, n = med["relay"], med["nginx"]
        print(f"\nRelay HTTP (wrk, {threads} threads, {args.connections} connections, {args.seconds} s per run, "
              f"median of {args.repeat} interleaved runs, loopback, {os.cpu_count()} cores shared by server and wrk)")
        print("| load | att-report serve | nginx | ratio | p50 relay / nginx | p99 relay / nginx |")
        print("|---|---|---|---|---|---|")
        print(f"| GET {size} B public envelope | {r[0]:,.0f} req/s | {n[0]:,.0f} req/s | **{r[0] / n[0]:.2f}** "
              f"| {r[1]:.2f} / {n[1]:.2f} ms | {r[2]:.2f} / {n[2]:.2f} ms |")
        print(f"\n| load | durable submissions/s | p50 | p99 | checked |")
        print("|---|---|---|---|---|")
        print(f"| signed POST of 4 KiB envelopes (selected, FRA to NGA) | **{created / seconds:,.0f}/s** "
              f"({created} in {seconds:.1f} s) | {int(vals['p50_us']) / 1000:.2f} ms | {int(vals['p99_us']) / 1000:.2f} ms "
              f"| log grew by {after - before} >= 201s (cut-off uploads finish after wrk stops); {gen:.1f} s to seal and sign them beforehand |")
        target_get = r[0] / n[0] >= 0.8
        target_post = created / seconds >= 2000
        print(f"\nTargets: GET >= 80% of nginx: {'met' if target_get else 'NOT met'}; "
              f">= 2,000 durable submissions/s: {'met' if target_post else 'NOT met'}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A local stand-in for the Google Health API `list` of heart-rate points, for benchmarks.
It serves samples at a fixed cadence inside [--start, --end), newest first, in pages of
--page-cap points, in the documented wire format: full data points (data source with device,
platform and recording method; sample time with civil time; bpm as a string), pretty-printed
unless `prettyPrint=false`, trimmed to a `fields` mask when one is given, gzip-compressed when
the client asks for it and says "gzip" in its user agent (as Google requires), with page
tokens that differ from call to call; over HTTPS with --tls. Any bearer token is accepted.
It also answers the hourly `rollUp` (POST ...:rollUp, spec 1.6: windows of `windowSize`
from the range's start, at most 14 days, each with the mean, highest and lowest bpm).
With --log FILE it appends a line per answer: the request kind and the bytes sent.
Usage:

    scripts/health-standin.py --port 8765 --start 2026-11-20T00:00:00Z --end 2026-11-21T00:00:00Z --cadence 2.5
"""
import argparse
import gzip
import itertools
import json
import random
import re
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FILTER = re.compile(
    r'^heart_rate\.sample_time\.physical_time >= "([^"]+)" AND heart_rate\.sample_time\.physical_time < "([^"]+)"$'
)
OFFSET = -18000


def ts(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def point(t, bpm):
    civil = datetime.fromtimestamp(t, timezone.utc) + timedelta(seconds=OFFSET)
    time = {k: v for k, v in (("hours", civil.hour), ("minutes", civil.minute), ("seconds", civil.second)) if v}
    return {
        "dataSource": {
            "recordingMethod": "PASSIVELY_MEASURED",
            "device": {"displayName": "Pixel Watch 3", "formFactor": "WATCH", "manufacturer": "Google"},
            "platform": "FITBIT",
        },
        "heartRate": {
            "sampleTime": {
                "physicalTime": iso(t),
                "utcOffset": f"{OFFSET}s",
                "civilTime": {"date": {"year": civil.year, "month": civil.month, "day": civil.day}, "time": time},
            },
            "beatsPerMinute": str(bpm),
        },
    }


def parse_mask(s):
    """`a/b,c(d,e)` -> {"a": {"b": {}}, "c": {"d": {}, "e": {}}}; returns (mask, rest)."""
    mask = {}
    while True:
        m = re.match(r"[^,()]*", s)
        path, s = m.group(0), s[m.end():]
        node = mask
        for part in path.split("/"):
            node = node.setdefault(part, {})
        if s.startswith("("):
            sub, s = parse_mask(s[1:])
            node.update(sub)
            assert s.startswith(")"), "unbalanced fields mask"
            s = s[1:]
        if s.startswith(","):
            s = s[1:]
            continue
        return mask, s


def apply_mask(mask, v):
    if not mask:
        return v
    if isinstance(v, list):
        return [apply_mask(mask, e) for e in v]
    if isinstance(v, dict):
        return {k: apply_mask(mask[k], x) for k, x in v.items() if k in mask}
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--cadence", type=float, default=2.5)
    ap.add_argument("--page-cap", type=int, default=10000)
    ap.add_argument("--log", help="append a line per answer: kind and bytes sent")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate chain and key")
    a = ap.parse_args()
    start, end = ts(a.start), ts(a.end)
    n = int((end - start) / a.cadence)
    # Irregular steps around the cadence and a heart rate that wanders, as a watch records
    # (what makes the gzip figures honest); seeded, so every run serves the same samples.
    rng = random.Random(1)
    samples, bpm = [], 70.0
    for i in range(n):
        bpm = min(185.0, max(45.0, bpm + rng.gauss(0, 2)))
        samples.append((start + int(i * a.cadence + rng.uniform(0, a.cadence / 2)), round(bpm)))
    calls = itertools.count()

    def log(kind, n):
        if a.log:
            with open(a.log, "a") as f:
                f.write(f"{kind} {n}\n")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_json(self, kind, body, pretty):
            if pretty:
                data = json.dumps(body, indent=2).encode()
            else:
                data = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(200)
            if "gzip" in self.headers.get("Accept-Encoding", "") and "gzip" in self.headers.get("User-Agent", ""):
                data = gzip.compress(data, 6)
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            log(kind, len(data))

        def do_POST(self):
            u = urlparse(self.path)
            if u.path != "/v4/users/me/dataTypes/heart-rate/dataPoints:rollUp":
                self.send_error(404)
                return
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            lo, hi = ts(req["range"]["startTime"]), ts(req["range"]["endTime"])
            w = int(req["windowSize"].rstrip("s"))
            if hi <= lo or hi - lo > 14 * 86400 or w <= 0:
                self.send_error(400)
                return
            windows = {}
            for t, b in samples:
                if lo <= t < hi:
                    windows.setdefault(lo + (t - lo) // w * w, []).append(b)
            points = [
                {
                    "startTime": iso(k),
                    "endTime": iso(min(k + w, hi)),
                    "heartRate": {
                        "beatsPerMinuteAvg": sum(v) / len(v),
                        "beatsPerMinuteMax": float(max(v)),
                        "beatsPerMinuteMin": float(min(v)),
                    },
                }
                for k, v in sorted(windows.items(), reverse=True)
            ]
            size = int(req.get("pageSize", 100))
            offset = int(req.get("pageToken", "0"))
            body = {"rollupDataPoints": points[offset : offset + size]}
            if offset + size < len(points):
                body["nextPageToken"] = str(offset + size)
            self.send_json("rollUp", body, pretty=True)

        def do_GET(self):
            u = urlparse(self.path)
            if u.path != "/v4/users/me/dataTypes/heart-rate/dataPoints":
                self.send_error(404)
                return
            q = parse_qs(u.query)
            m = FILTER.match(q.get("filter", [""])[0])
            if not m:
                self.send_error(400)
                return
            lo, hi = ts(m.group(1)), ts(m.group(2))
            window = [s for s in samples if lo <= s[0] < hi]
            window.reverse()
            offset = int(q.get("pageToken", ["0-n"])[0].split("-n")[0])
            page = window[offset : offset + a.page_cap]
            body = {"dataPoints": [point(t, b) for t, b in page]}
            if offset + len(page) < len(window):
                body["nextPageToken"] = f"{offset + len(page)}-n{next(calls)}"
            if "fields" in q:
                body = apply_mask(parse_mask(q["fields"][0])[0], body)
            self.send_json("list", body, pretty=q.get("prettyPrint", ["true"])[0] != "false")

    server = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    if a.tls:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*a.tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

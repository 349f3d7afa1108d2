#!/usr/bin/env python3
"""A minimal local stand-in for the Google Health API `list` of heart-rate points, for
benchmarks. It serves samples at a fixed cadence inside [--start, --end), newest first, in
pages of --page-cap points, in the documented wire format (bpm as a string, utcOffset as a
google-duration). Any bearer token is accepted. Usage:

    scripts/health-standin.py --port 8765 --start 2026-11-20T00:00:00Z --end 2026-11-21T00:00:00Z --cadence 2.5
"""
import argparse
import json
import re
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FILTER = re.compile(
    r'^heart_rate\.sample_time\.physical_time >= "([^"]+)" AND heart_rate\.sample_time\.physical_time < "([^"]+)"$'
)


def ts(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--cadence", type=float, default=2.5)
    ap.add_argument("--page-cap", type=int, default=10000)
    a = ap.parse_args()
    start, end = ts(a.start), ts(a.end)
    n = int((end - start) / a.cadence)
    samples = [(start + int(i * a.cadence), 55 + (i * 7919) % 120) for i in range(n)]

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

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
            offset = int(q.get("pageToken", ["0"])[0])
            page = window[offset : offset + a.page_cap]
            body = {
                "dataPoints": [
                    {
                        "dataSource": {"device": {"displayName": "Pixel Watch 3"}, "platform": "FITBIT"},
                        "heartRate": {
                            "sampleTime": {"physicalTime": iso(t), "utcOffset": "-18000s"},
                            "beatsPerMinute": str(b),
                        },
                    }
                    for t, b in page
                ]
            }
            if offset + len(page) < len(window):
                body["nextPageToken"] = str(offset + len(page))
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()


if __name__ == "__main__":
    main()

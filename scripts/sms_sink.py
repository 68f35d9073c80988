#!/usr/bin/env python3
"""A local SMS gateway for the demo: it accepts what aftersales sends, keeps it
and shows it, so that the demo's SMS are "sent" instead of failed.

    python3 scripts/sms_sink.py [--port 8071] [--log FILE]

- ``POST /send`` with the demo gateway's JSON body ``{"to", "text", "ref"}``
  answers ``{"id": "sink-<n>"}`` (the gateway's success pattern reads it);
- ``GET /`` lists the messages received, newest first (open it in a browser);
- ``GET /messages.json`` gives them as JSON.

Standard library only; it listens on 127.0.0.1 and keeps messages in memory
(and appends them to ``--log`` when given).
"""

import argparse
import datetime
import html
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 * 1024
MAX_KEPT = 500

messages = []
lock = threading.Lock()


class SinkHandler(BaseHTTPRequestHandler):
    server_version = "aftersales-sms-sink"
    log_file = None

    def _answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path.split("?")[0] != "/send":
            return self._answer(404, '{"error": "not found"}')
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return self._answer(413, '{"error": "body missing or too large"}')
        try:
            payload = json.loads(self.rfile.read(length))
            number, text = str(payload["to"]), str(payload["text"])
        except (ValueError, KeyError, TypeError):
            return self._answer(400, '{"error": "expected JSON with to and text"}')
        with lock:
            ident = f"sink-{len(messages) + 1}"
            entry = {
                "id": ident,
                "at": datetime.datetime.now().isoformat(timespec="seconds"),
                "to": number,
                "text": text,
                "ref": str(payload.get("ref", "")),
            }
            messages.append(entry)
            del messages[:-MAX_KEPT]
        if self.log_file:
            with open(self.log_file, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return self._answer(200, json.dumps({"id": ident}))

    def do_GET(self):
        with lock:
            kept = list(reversed(messages))
        if self.path.split("?")[0] == "/messages.json":
            return self._answer(200, json.dumps(kept, ensure_ascii=False))
        if self.path.split("?")[0] != "/":
            return self._answer(404, '{"error": "not found"}')
        rows = "".join(
            "<tr><td>{}</td><td dir='ltr'>{}</td><td dir='auto'>{}</td></tr>".format(
                html.escape(m["at"]), html.escape(m["to"]), html.escape(m["text"])
            )
            for m in kept
        )
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='10'>"
            "<title>Demo SMS</title><style>body{font-family:sans-serif;margin:2em}"
            "td{border-bottom:1px solid #ddd;padding:.4em;vertical-align:top;"
            "white-space:pre-wrap}</style></head><body>"
            f"<h1>SMS sent by the demo ({len(kept)})</h1>"
            "<table><tr><th>When</th><th>To</th><th>Text</th></tr>"
            f"{rows}</table></body></html>"
        )
        return self._answer(200, page, "text/html")

    def log_message(self, *args):  # quiet: the page shows what came
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--log", help="append each message (JSON) to this file")
    args = parser.parse_args()
    SinkHandler.log_file = args.log
    server = ThreadingHTTPServer((args.host, args.port), SinkHandler)
    sys.stdout.write(f"SMS sink listening on http://{args.host}:{args.port}/\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

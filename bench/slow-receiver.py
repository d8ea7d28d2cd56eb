#!/usr/bin/env python3
"""A deliberately slow webhook receiver for bench/run-webhooks.sh: answers every POST with 204
after DELAY seconds (default 0.2), one request at a time. Prints its port on standard output."""

import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

DELAY = float(os.environ.get("DELAY", "0.2"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(DELAY)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
sys.stdout.close()
server.serve_forever()

"""A webhook receiver for the end-to-end tests: a threaded HTTP server on loopback that answers
each POST by the next behaviour of its script (then 204) and keeps what it received."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """`script` items: an int status, ("stall", seconds) to answer 500 after a pause longer
    than the server's timeout, or (status, {headers}). `delay` slows every answer."""

    def __init__(self, script=None, port: int = 0, delay: float = 0.0):
        self.script = list(script or [])
        self.delay = delay
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (the standard library's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    behaviour = receiver.script.pop(0) if receiver.script else 204
                    entry = {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "status": None,
                    }
                    receiver.received.append(entry)
                headers = {}
                if receiver.delay:
                    time.sleep(receiver.delay)
                if isinstance(behaviour, tuple) and behaviour[0] == "stall":
                    time.sleep(behaviour[1])
                    status = 500
                elif isinstance(behaviour, tuple):
                    status, headers = behaviour
                else:
                    status = behaviour
                with receiver.lock:
                    entry["status"] = status
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the server gave up waiting (a timeout on purpose)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def acknowledged(self) -> list[dict]:
        """Requests answered with a 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.received if r["status"] is not None and 200 <= r["status"] < 300]

    def acknowledged_ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.acknowledged()]

    def event(self, entry: dict) -> dict:
        return json.loads(entry["body"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()

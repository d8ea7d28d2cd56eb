"""Starts the real `relieflog` binary on a loopback port for end-to-end tests.

Each test module starts its own server on a fresh SQLite file in a temporary directory and
reads the bootstrap admin token and the bound port from what the server prints.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BINARY = os.environ.get("RELIEFLOG_BINARY", str(Path(__file__).resolve().parents[2] / ".build/debug/relieflog"))


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    admin_token: str
    database: Path
    output: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body=None, token: str | None = None, headers=None):
        """One request; returns (status, headers, parsed JSON body or raw bytes)."""
        data = None
        all_headers = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if token is None:
            token = self.admin_token
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, response_headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, dict(error.headers), error.read()
        content_type = response_headers.get("Content-Type", "")
        if "json" in content_type and raw:
            return status, response_headers, json.loads(raw)
        return status, response_headers, raw

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_server(directory: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None) -> Server:
    """Starts `relieflog serve --port 0` on `directory/relieflog.sqlite`; waits until it listens."""
    database = directory / "relieflog.sqlite"
    process = subprocess.Popen(
        [BINARY, "serve", "--db", str(database), "--port", "0", *(extra_args or [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "RELIEFLOG_LOG_LEVEL": "warning", **(env or {})},
    )
    output: list[str] = []
    found: dict[str, str] = {}
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("rlg_"):
                found["token"] = line.strip()
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                found["url"] = match.group(1)
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 120
    while not ready.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("server did not start:\n" + "".join(output))
    if "url" not in found:
        raise RuntimeError("server exited:\n" + "".join(output))
    return Server(process, found["url"], found.get("token", ""), database, output)

"""An https:// receiver through a local TLS-originating proxy (nginx), as the README tells a
clinic to set it up: the server speaks plain HTTP to nginx in absolute form, nginx opens a
verified TLS connection to the receiver, the receiver checks the signature."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from receiver import free_port, wait_for  # noqa: E402
from relieflog_server import start_server  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
OPENSSL = shutil.which("openssl")


@pytest.mark.skipif(not NGINX or not OPENSSL, reason="needs nginx and openssl (.ci/run installs them)")
def test_https_receiver_through_nginx(tmp_path):
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body, "path": self.path})
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    proxy_port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    # Stands in for DNS here: the receiver "localhost" is this loopback port.
    upstream localhost {{ server 127.0.0.1:{receiver.server_address[1]}; }}
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass https://$http_host$request_uri;
            proxy_ssl_server_name on;
            proxy_ssl_name localhost;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate {tmp_path}/cert.pem;
        }}
    }}
}}
""")
    nginx = subprocess.Popen(
        [NGINX, "-e", str(tmp_path / "nginx-error.log"), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "webhooks": {"httpsProxy": f"http://127.0.0.1:{proxy_port}", "retryScheduleSeconds": [0.1] * 50},
    }))
    server = start_server(tmp_path, ["--config", str(config)])
    try:
        status, _, hook = server.request("POST", "/v1/webhooks", {"url": "https://localhost/hooks?clinic=1", "events": ["*"]})
        assert status == 201
        status, _, _ = server.request("POST", "/v1/patients", {"displayName": "Over TLS"})
        assert status == 201
        assert wait_for(lambda: len(received) >= 1, timeout=60), (tmp_path / "nginx-error.log").read_text()
        entry = received[0]
        event = Webhook(hook["secret"]).verify(entry["body"], entry["headers"])
        assert event["type"] == "patient.created"
        assert entry["path"] == "/hooks?clinic=1"
        assert entry["headers"]["Host"] == "localhost"
        _, _, deliveries = server.request("GET", f"/v1/webhooks/{hook['id']}/deliveries")
        assert deliveries["items"][0]["state"] == "delivered"
    finally:
        server.stop()
        nginx.terminate()
        nginx.wait(timeout=10)
        receiver.shutdown()

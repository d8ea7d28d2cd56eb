"""kill -9 under write load while deliveries are pending and in flight: after a restart, every
acknowledged write's event is delivered (at least once), and the receiver sees the events in
commit order."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from standardwebhooks.webhooks import Webhook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from receiver import Receiver, wait_for  # noqa: E402
from relieflog_server import start_server  # noqa: E402


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "webhooks": {"retryScheduleSeconds": [0.05] * 50, "timeoutSeconds": 2},
                "rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0},
            }
        )
    )
    # A slow receiver: deliveries queue up behind it while the writes go on.
    receiver = Receiver(delay=0.02)
    server = start_server(tmp_path, ["--config", str(config)])
    token = server.admin_token
    try:
        status, _, hook = server.request("POST", "/v1/webhooks", {"url": receiver.url, "events": ["episode.created"]})
        assert status == 201
        status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Load"})
        assert status == 201

        acknowledged: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def write(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                body = json.dumps(
                    {
                        "patientId": patient["id"],
                        "startedAt": f"2026-10-{1 + n % 28:02d}T{worker:02d}:{n % 60:02d}:00Z",
                        "intensity": n % 11,
                    }
                ).encode()
                request = urllib.request.Request(
                    server.url + "/v1/episodes",
                    data=body,
                    method="POST",
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        if response.status == 201:
                            with lock:
                                acknowledged.append(json.loads(response.read())["id"])
                except (urllib.error.URLError, ConnectionError, OSError):
                    return  # the server is gone

        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for writer in writers:
            writer.start()
        assert wait_for(lambda: len(acknowledged) >= 300 and len(receiver.acknowledged()) >= 20, timeout=60)
        server.process.kill()  # SIGKILL: no shutdown, no checkpoint
        server.process.wait()
        stop.set()
        for writer in writers:
            writer.join()
        delivered_before = len(receiver.acknowledged())
        assert delivered_before < len(acknowledged), "the kill came after every delivery; nothing was pending"

        server = start_server(tmp_path, ["--config", str(config)])
        server.admin_token = token

        def delivered_ids() -> list[int]:
            return [receiver.event(e)["data"]["object"]["id"] for e in receiver.acknowledged()]

        wanted = set(acknowledged)
        assert wait_for(lambda: wanted <= set(delivered_ids()), timeout=120), (
            f"{len(wanted - set(delivered_ids()))} acknowledged writes without a delivered event"
        )

        # Every committed event (the feed) arrives, and in commit order (first arrival of each).
        events, after = [], None
        while True:
            _, _, page = server.request("GET", "/v1/events?type=episode.created&limit=500" + (f"&after={after}" if after else ""))
            events += page["items"]
            after = page["nextCursor"]
            if not page["hasMore"]:
                break
        assert wait_for(lambda: len(set(receiver.acknowledged_ids())) >= len(events), timeout=60)
        first_arrivals = list(dict.fromkeys(receiver.acknowledged_ids()))
        assert first_arrivals == [e["id"] for e in events]
        verifier = Webhook(hook["secret"])
        for entry in receiver.acknowledged():
            verifier.verify(entry["body"], entry["headers"])
        print(
            f"acknowledged writes {len(acknowledged)}, committed events {len(events)}, "
            f"delivered before the kill {delivered_before}, deliveries received {len(receiver.acknowledged())}"
        )
    finally:
        receiver.stop()
        server.stop()

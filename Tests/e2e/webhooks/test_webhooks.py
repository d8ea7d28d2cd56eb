"""Webhooks against the real binary: a Python receiver that fails on purpose (500, a timeout, 503
with Retry-After, connection refused) and recovers; every signature is verified with the PyPI
`standardwebhooks` package, an implementation independent of ours."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from receiver import Receiver, free_port, wait_for  # noqa: E402
from relieflog_server import start_server  # noqa: E402

CONFIG = {
    "webhooks": {"retryScheduleSeconds": [0.05] * 20, "timeoutSeconds": 0.5},
    "rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0},
}


@pytest.fixture()
def server(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    running = start_server(tmp_path, ["--config", str(config)])
    yield running
    running.stop()


def create_webhook(server, url, events=("*",)):
    status, headers, body = server.request("POST", "/v1/webhooks", {"url": url, "events": list(events)})
    assert status == 201, body
    assert body["secret"].startswith("whsec_")
    return body


def write_some(server, episodes=3):
    status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Ada", "timezone": "Europe/Vienna"})
    assert status == 201
    ids = []
    for day in range(episodes):
        status, _, episode = server.request(
            "POST",
            "/v1/episodes",
            {"patientId": patient["id"], "startedAt": f"2026-11-0{day + 1}T07:30:00+01:00", "intensity": 5},
        )
        assert status == 201, episode
        ids.append(episode["id"])
    status, _, _ = server.request(
        "PATCH", f"/v1/episodes/{ids[0]}", {"intensity": 8}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert status == 200
    status, _, _ = server.request("DELETE", f"/v1/episodes/{ids[-1]}")
    assert status == 204
    return patient["id"], ids


def feed(server):
    events, after = [], None
    while True:
        path = "/v1/events?limit=2" + (f"&after={after}" if after else "")
        status, _, page = server.request("GET", path)
        assert status == 200
        events += page["items"]
        after = page["nextCursor"]
        if not page["hasMore"]:
            return events


def test_failures_then_recovery_every_event_once_in_order_signed(server):
    receiver = Receiver(script=[500, ("stall", 1.5), (503, {"Retry-After": "0"}), 500])
    try:
        hook = create_webhook(server, receiver.url)
        write_some(server)
        expected = feed(server)
        assert [e["type"] for e in expected] == [
            "patient.created",
            "episode.created",
            "episode.created",
            "episode.created",
            "episode.updated",
            "episode.deleted",
        ]
        assert wait_for(lambda: len(receiver.acknowledged()) >= len(expected))
        assert wait_for(lambda: False, timeout=0.3) is False  # nothing else may arrive meanwhile
        assert receiver.acknowledged_ids() == [e["id"] for e in expected]

        verifier = Webhook(hook["secret"])
        for entry in receiver.received:
            payload = verifier.verify(entry["body"], entry["headers"])
            assert payload["id"] == entry["headers"]["webhook-id"]
        # The record as GET renders it; a deletion carries only id and patientId.
        bodies = [receiver.event(e) for e in receiver.acknowledged()]
        assert bodies == expected
        assert set(bodies[-1]["data"]["object"]) == {"id", "patientId"}
        assert bodies[1]["data"]["object"]["intensity"] == 5
        assert bodies[1]["data"]["object"]["startedAt"] == "2026-11-01T06:30:00Z"

        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(receiver.received[0]["body"], receiver.received[0]["headers"])

        status, _, deliveries = server.request("GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=100")
        assert status == 200
        assert {d["state"] for d in deliveries["items"]} == {"delivered"}
        first = next(d for d in deliveries["items"] if d["event"]["id"] == expected[0]["id"])
        assert first["attempts"] == 5 and first["lastStatus"] == 204

        status, _, metrics = server.request("GET", "/metrics", token="")
        text = metrics.decode()
        assert f'relieflog_webhook_deliveries_total{{state="delivered"}} {len(expected)}' in text
        assert "relieflog_webhook_queue_depth 0" in text
        assert "Ada" not in text
    finally:
        receiver.stop()


def test_connection_refused_then_receiver_appears(server):
    port = free_port()
    hook = create_webhook(server, f"http://127.0.0.1:{port}/hook", events=["episode.*"])
    write_some(server, episodes=2)
    expected = [e for e in feed(server) if e["type"].startswith("episode.")]

    def refused():
        _, _, page = server.request("GET", f"/v1/webhooks/{hook['id']}/deliveries?state=pending")
        return any(d["lastError"] == "connection refused" for d in page["items"])

    assert wait_for(refused)
    receiver = Receiver(port=port)
    try:
        assert wait_for(lambda: len(receiver.acknowledged()) >= len(expected))
        assert receiver.acknowledged_ids() == [e["id"] for e in expected]
        verifier = Webhook(hook["secret"])
        for entry in receiver.received:
            verifier.verify(entry["body"], entry["headers"])
    finally:
        receiver.stop()


def test_410_disables_and_rotation_signs_with_both_secrets(server):
    gone = Receiver(script=[410])
    healthy = Receiver()
    try:
        gone_hook = create_webhook(server, gone.url)
        hook = create_webhook(server, healthy.url, events=["patient.created"])
        status, _, rotated = server.request("POST", f"/v1/webhooks/{hook['id']}/rotate-secret")
        assert status == 200 and rotated["secret"] != hook["secret"]
        write_some(server, episodes=1)
        assert wait_for(lambda: len(healthy.acknowledged()) == 1)
        entry = healthy.acknowledged()[0]
        Webhook(hook["secret"]).verify(entry["body"], entry["headers"])
        Webhook(rotated["secret"]).verify(entry["body"], entry["headers"])
        assert len(entry["headers"]["webhook-signature"].split(" ")) == 2

        assert wait_for(lambda: server.request("GET", f"/v1/webhooks/{gone_hook['id']}")[2]["active"] is False)
        assert len(gone.received) == 1
    finally:
        gone.stop()
        healthy.stop()

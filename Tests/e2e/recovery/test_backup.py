"""`relieflog backup` under write load: the copy opens, passes verify, and a server started on it
serves the same data; `relieflog restore` refuses to put it over a live database."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relieflog_server import BINARY, start_server  # noqa: E402


def unlimited_config(directory: Path) -> list[str]:
    """Load from a handful of writers on one token would hit the rate limits; this is not about them."""
    config = directory / "unlimited.json"
    config.write_text('{"rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0}}')
    return ["--config", str(config)]


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *arguments], capture_output=True, text=True, timeout=120)


def test_backup_under_write_load_is_complete_verified_and_serves_the_same_data(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    server = start_server(live, unlimited_config(tmp_path))
    try:
        status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Ann"})
        assert status == 201
        acknowledged: list[tuple[int, float]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(number: int) -> None:
            sequence = 0
            while not stop.is_set():
                sequence += 1
                body = {"patientId": patient["id"], "startedAt": "2026-02-01T08:00:00Z", "intensity": sequence % 11,
                        "notes": f"writer {number} write {sequence}"}
                status, _, created = server.request("POST", "/v1/episodes", body)
                assert status == 201, created
                with lock:
                    acknowledged.append((created["id"], time.monotonic()))

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < 200:
            time.sleep(0.05)
        backup = tmp_path / "backup.sqlite"
        backup_started = time.monotonic()
        result = run("backup", "--to", str(backup), "--db", str(server.database))
        backup_finished = time.monotonic()
        # verify is safe on the live database too, while the writers go on.
        live_verify = run("verify", "--db", str(server.database))
        time.sleep(0.3)  # writes keep coming after the backup, too
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert result.returncode == 0, result.stderr
        assert live_verify.returncode == 0, live_verify.stdout + live_verify.stderr
        assert result.stdout.strip().splitlines()[-1] == "ok", result.stdout

        verify = run("verify", "--db", str(backup))
        assert verify.returncode == 0, verify.stdout + verify.stderr

        # Restoring it over the live database is refused while the server runs.
        refused = run("restore", "--from", str(backup), "--db", str(server.database))
        assert refused.returncode != 0
        assert "refusing to restore over a database" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1

        restored_dir = tmp_path / "restored"
        restore = run("restore", "--from", str(backup), "--db", str(restored_dir / "relieflog.sqlite"))
        assert restore.returncode == 0, restore.stderr

        before = {episode for episode, at in acknowledged if at < backup_started}
        after = {episode for episode, at in acknowledged if at > backup_finished}
        assert before and after
        copy = start_server(restored_dir, unlimited_config(tmp_path))
        try:
            present: set[int] = set()
            cursor = None
            while True:
                path = f"/v1/episodes?patientId={patient['id']}&limit=500" + (f"&cursor={cursor}" if cursor else "")
                status, _, page = copy.request("GET", path, token=server.admin_token)
                assert status == 200, page
                present.update(item["id"] for item in page["items"])
                cursor = page["nextCursor"]
                if not cursor:
                    break
            assert before <= present, "every write acknowledged before the backup started is in it"
            assert not (after & present), "nothing acknowledged after the backup finished is in it"
            for episode in sorted(before)[:: max(1, len(before) // 20)]:
                live_status, _, live_body = server.request("GET", f"/v1/episodes/{episode}")
                copy_status, _, copy_body = copy.request("GET", f"/v1/episodes/{episode}", token=server.admin_token)
                assert (live_status, live_body) == (copy_status, copy_body) == (200, live_body)
        finally:
            assert copy.stop() == 0
    finally:
        server.stop()

"""The restore drill (run by scripts/restore-drill.sh): the machine dies, the data must not.

1. `relieflog serve` on a fresh database, Litestream replicating it to a file replica.
2. Writers create episodes through the API and note every acknowledged id and when it was
   acknowledged.
3. Mid-load, kill -9 the server and Litestream, and delete the database directory.
4. `litestream restore` into a new directory; `relieflog verify` on it; a server on it.
5. Every write acknowledged before the last replication interval must be there (through the
   API), the audit log must have a row for every episode there, and the figures are printed.

Environment: RELIEFLOG_BINARY (default .build/debug/relieflog), LITESTREAM (default litestream),
DRILL_SECONDS (load duration, default 6), DRILL_WRITERS (default 8), DRILL_SYNC_INTERVAL
(Litestream's sync-interval in seconds, default 1), DRILL_SEED_MB (grow the database to about
this size before the drill, default 0: for measuring restore time on a large file).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "Tests/e2e"))
from relieflog_server import BINARY, start_server  # noqa: E402

LITESTREAM = os.environ.get("LITESTREAM", "litestream")
SECONDS = float(os.environ.get("DRILL_SECONDS", "6"))
WRITERS = int(os.environ.get("DRILL_WRITERS", "8"))
SYNC_INTERVAL = float(os.environ.get("DRILL_SYNC_INTERVAL", "1"))
SEED_MB = int(os.environ.get("DRILL_SEED_MB", "0"))
# Litestream ships what was committed up to each sync; a sync itself takes a moment on a busy
# machine, so a write must have been acknowledged this much longer ago to be required.
MARGIN = 1.0


def log(message: str) -> None:
    print(f"drill: {message}", flush=True)


def seed(database: Path, megabytes: int) -> None:
    """Grows a migrated database with realistic episodes (the bench seed's shape)."""
    subprocess.run([BINARY, "migrate", "--db", str(database)], check=True, env={**os.environ, "RELIEFLOG_LOG_LEVEL": "warning"})
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "INSERT INTO patients (id, display_name, timezone, created_at_ms, updated_at_ms) "
        "VALUES (100000, 'Seed patient', 'Europe/Berlin', 1700000000000, 1700000000000)"
    )
    batch = 0
    while database.stat().st_size < megabytes * 1024 * 1024:
        start = batch * 100_000
        connection.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO episodes (patient_id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms,
                                  notes, created_at_ms, updated_at_ms)
            SELECT 100000, 1700000000000 + i * 630000, 1700000000000 + i * 630000 + 6 * 3600000, i % 11, i % 7 = 0,
                   '["stress","poor_sleep"]', '["nausea","photophobia"]',
                   'Throbbing behind the left eye; eased after a neck massage.', 1700000000000, 1700000000000
            FROM n
            """,
            (start, start + 99_999),
        )
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        batch += 1
    connection.close()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="relieflog-drill-"))
    data, replica, restored = work / "data", work / "replica", work / "restored"
    data.mkdir()
    database = data / "relieflog.sqlite"
    if SEED_MB:
        started = time.monotonic()
        seed(database, SEED_MB)
        log(f"seeded {database.stat().st_size / 2**20:.0f} MiB in {time.monotonic() - started:.1f} s")
    config = work / "litestream.yml"
    config.write_text(
        f"dbs:\n  - path: {database}\n    replica:\n      type: file\n      path: {replica}\n"
        f"      sync-interval: {SYNC_INTERVAL}s\n"
    )

    # Eight writers on one token would hit the rate limits, which are not what this drill is about.
    unlimited = work / "unlimited.json"
    unlimited.write_text('{"rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0}}')
    server = start_server(data, ["--config", str(unlimited)])
    litestream_log = open(work / "litestream.log", "w")
    litestream = subprocess.Popen(
        [LITESTREAM, "replicate", "-config", str(config)], stdout=litestream_log, stderr=subprocess.STDOUT
    )
    # Nothing is protected before Litestream's first snapshot of the whole file, which takes a
    # while on a large database: wait for it and say how long it took.
    started = time.monotonic()
    while "snapshot complete" not in (work / "litestream.log").read_text():
        assert litestream.poll() is None, (work / "litestream.log").read_text()
        assert time.monotonic() - started < 1800, "no first snapshot after 30 minutes"
        time.sleep(0.1)
    log(f"Litestream's first snapshot complete after {time.monotonic() - started:.1f} s")
    status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Drill patient"})
    assert status == 201, (status, patient)
    patient_id = patient["id"]

    acknowledged: list[tuple[int, float]] = []  # (episode id, monotonic time of the 201)
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(number: int) -> None:
        sequence = 0
        while not stop.is_set():
            sequence += 1
            body = {
                "patientId": patient_id,
                "startedAt": "2026-01-01T00:00:00Z",
                "intensity": sequence % 11,
                "notes": f"drill writer {number} write {sequence}",
            }
            try:
                status, _, created = server.request("POST", "/v1/episodes", body)
            except Exception as error:  # the server was killed mid-request: not acknowledged
                if not stop.is_set():
                    failures.append(repr(error))
                return
            if status == 201:
                with lock:
                    acknowledged.append((created["id"], time.monotonic()))
            elif not stop.is_set():
                failures.append(f"{status} {created}")

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
    load_started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    # The machine dies: both processes at once, mid-load, then the disk.
    killed_at = time.monotonic()
    os.kill(server.process.pid, signal.SIGKILL)
    os.kill(litestream.pid, signal.SIGKILL)
    stop.set()
    server.process.wait()
    litestream.wait()
    for thread in threads:
        thread.join(timeout=30)
    database_bytes = sum(f.stat().st_size for f in data.iterdir() if f.name.startswith("relieflog.sqlite"))
    subprocess.run(["rm", "-rf", str(data)], check=True)
    litestream_log.close()
    assert not failures, f"writes failed before the kill: {failures[:3]}"
    log(
        f"{len(acknowledged)} writes acknowledged in {killed_at - load_started:.1f} s by {WRITERS} writers "
        f"({len(acknowledged) / (killed_at - load_started):.0f}/s); database {database_bytes / 2**20:.1f} MiB; "
        "server and Litestream killed, database directory deleted"
    )

    restored.mkdir()
    restored_database = restored / "relieflog.sqlite"
    started = time.monotonic()
    subprocess.run([LITESTREAM, "restore", "-o", str(restored_database), f"file://{replica}"], check=True)
    restore_seconds = time.monotonic() - started
    log(f"litestream restore: {restore_seconds:.2f} s for {restored_database.stat().st_size / 2**20:.1f} MiB")

    verify = subprocess.run([BINARY, "verify", "--db", str(restored_database)], capture_output=True, text=True)
    print(verify.stdout, end="")
    assert verify.returncode == 0, f"relieflog verify failed: {verify.stderr}"

    # What a client sees on the restored server: the episodes, through the API.
    token = server.admin_token
    started = time.monotonic()
    server = start_server(restored, ["--config", str(unlimited)])
    log(f"server on the restored file listening after {time.monotonic() - started:.2f} s (quick_check included)")
    server.admin_token = token  # the restored database has it; no new one is bootstrapped
    present: set[int] = set()
    cursor = None
    while True:
        query = f"/v1/episodes?patientId={patient_id}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = server.request("GET", query)
        assert status == 200, (status, page)
        present.update(item["id"] for item in page["items"])
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert server.stop() == 0
    audited = {
        row[0]
        for row in sqlite3.connect(f"file:{restored_database}?mode=ro", uri=True).execute(
            "SELECT resource_id FROM audit_log WHERE method = 'POST' AND route = '/v1/episodes' AND status = 201"
        )
    }

    acked_ids = {episode for episode, _ in acknowledged}
    required = {episode for episode, at in acknowledged if at < killed_at - SYNC_INTERVAL - MARGIN}
    missing_required = sorted(required - present)
    lost = sorted(((killed_at - at), episode) for episode, at in acknowledged if episode not in present)
    unexpected = present - acked_ids
    newest_present = min((killed_at - at for episode, at in acknowledged if episode in present), default=None)
    log(
        f"acknowledged {len(acked_ids)}, present after restore {len(present & acked_ids)}, "
        f"required (acknowledged more than {SYNC_INTERVAL + MARGIN:.1f} s before the kill) {len(required)}, "
        f"missing of those {len(missing_required)}"
    )
    if lost:
        log(
            f"replication lag at the kill: the {len(lost)} newest acknowledged writes were not replicated; "
            f"the oldest of them was acknowledged {lost[-1][0] * 1000:.0f} ms before the kill"
        )
    else:
        log("replication lag at the kill: every acknowledged write was replicated")
    if newest_present is not None:
        log(f"the newest write present was acknowledged {newest_present * 1000:.0f} ms before the kill")
    log(f"{len(unexpected)} restored episodes were never acknowledged (in flight at the kill: allowed)")
    assert not missing_required, f"writes acknowledged before the last interval are missing: {missing_required[:10]}"
    assert present <= audited, f"episodes without their audit row: {sorted(present - audited)[:10]}"
    log("ok: every write acknowledged before the last replication interval was restored, each with its audit row")
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The disk misbehaves: a real full file system (a small tmpfs) and a read-only database
directory (a read-only bind mount). Both need mount(8) and root; where mounting is not
permitted they are skipped with the reason, and the Swift suite still covers the full disk
through SQLite's own limit (`PRAGMA max_page_count`)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relieflog_server import BINARY, start_server  # noqa: E402


def mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True, capture_output=True, text=True)


def mounting_allowed() -> str | None:
    if os.geteuid() != 0:
        return "mounting needs root"
    with tempfile.TemporaryDirectory() as probe:
        try:
            mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", probe)
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            return f"mount is not permitted here: {getattr(error, 'stderr', error)}"
        subprocess.run(["umount", probe], check=True)
    return None


SKIP = mounting_allowed()


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_full_disk_answers_503_keeps_reading_loses_nothing_and_recovers(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk))
    server = None
    try:
        server = start_server(disk)
        status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Ann"})
        assert status == 201
        acknowledged: list[int] = []
        refusal = None
        for number in range(20_000):
            body = {"patientId": patient["id"], "startedAt": "2026-03-01T08:00:00Z", "intensity": 5,
                    "notes": f"write {number} " + "x" * 1000}
            status, headers, created = server.request("POST", "/v1/episodes", body)
            if status == 201:
                acknowledged.append(created["id"])
            else:
                refusal = (status, headers, created)
                break
        assert refusal is not None, "the 1 MiB file system filled up"
        status, headers, problem = refusal
        assert status == 503, problem
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["type"] == "urn:relieflog:problem:storage-unavailable"
        assert "disk is full" in problem["detail"] or "could not store" in problem["detail"]

        for episode in acknowledged[-20:]:
            assert server.request("GET", f"/v1/episodes/{episode}")[0] == 200
        assert server.request("GET", "/healthz")[0] == 200

        # Space returns: the same server takes writes again.
        mount("-o", "remount,size=64m", str(disk))
        status, _, created = server.request(
            "POST", "/v1/episodes", {"patientId": patient["id"], "startedAt": "2026-03-02T08:00:00Z", "intensity": 3})
        assert status == 201, created
        listed: set[int] = set()
        cursor = None
        while True:
            path = f"/v1/episodes?patientId={patient['id']}&limit=500" + (f"&cursor={cursor}" if cursor else "")
            status, _, page = server.request("GET", path)
            assert status == 200
            listed.update(item["id"] for item in page["items"])
            cursor = page["nextCursor"]
            if not cursor:
                break
        assert set(acknowledged) <= listed, "no acknowledged write was lost"
        assert server.stop() == 0
        server = None
        verify = subprocess.run([BINARY, "verify", "--db", str(disk / "relieflog.sqlite")], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        if server is not None:
            server.process.kill()
            server.process.wait()
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_read_only_database_directory_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    quiet = {**os.environ, "RELIEFLOG_LOG_LEVEL": "warning"}
    migrate = subprocess.run(
        [BINARY, "migrate", "--db", str(directory / "relieflog.sqlite")], capture_output=True, text=True, env=quiet
    )
    assert migrate.returncode == 0, migrate.stderr
    mount("--bind", str(directory), str(directory))
    try:
        mount("-o", "remount,bind,ro", str(directory))
        result = subprocess.run(
            [BINARY, "serve", "--port", "0", "--db", str(directory / "relieflog.sqlite")],
            capture_output=True, text=True, timeout=60, env=quiet,
        )
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"relieflog: database directory {directory} is not writable"), lines[0]
        assert "listening" not in result.stdout
    finally:
        subprocess.run(["umount", str(directory)], check=False)

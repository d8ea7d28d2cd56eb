"""SIGTERM during a long import or export leaves nothing half-written.

Every test catches the work mid-flight by state, never by timing: it waits (with generous
timeouts) until the write-ahead log has grown by megabytes that no reader can see yet, or until
the export's `.part` file holds megabytes, then stops the process with SIGSTOP, checks the
frozen state (nothing of the import committed, the request not answered, the previous export
file untouched), sends SIGTERM and lets the process go on with SIGCONT.

What SIGTERM does (docs/backups.md "Stopping during an import or export"):
- `relieflog serve` drains: an import already received finishes whole within
  `http.shutdownGraceSeconds`; one still being uploaded when the grace ends is dropped whole.
- `relieflog import` dies at once; SQLite discards the uncommitted transaction.
- `relieflog export --out FILE` removes `FILE.part` and exits 143; FILE stays as it was.
- a streamed HTTP export cut at the end of the grace ends without the last, empty chunk.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relieflog_server import BINARY, start_server  # noqa: E402

ROWS = 60_000
# Uncommitted pages the import must have spilled into the WAL before it counts as mid-write
# (SQLite spills once its 2 MiB page cache is full; the whole import is about 40 MiB).
MID_WRITE_BYTES = 4 * 1024 * 1024
# A `.part` file this large is an export well under way (the whole export is about 20 MiB).
MID_EXPORT_BYTES = 2 * 1024 * 1024
PATIENCE = 300  # seconds: a busy machine is slow, never wrong


def wait_until(predicate, what: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


@contextmanager
def frozen(process: subprocess.Popen):
    """SIGSTOP for the body, SIGCONT after it: a signal sent meanwhile arrives on SIGCONT."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def config(directory: Path, grace_seconds: int) -> list[str]:
    path = directory / f"grace-{grace_seconds}.json"
    path.write_text(json.dumps({
        "rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0},
        "http": {"shutdownGraceSeconds": grace_seconds},
    }))
    return ["--config", str(path)]


def rows(patient_id: int, tag: str, count: int = ROWS) -> bytes:
    """`count` NDJSON episodes whose notes start with `tag`, so an import's rows can be counted."""
    lines = []
    for number in range(count):
        day = 1 + number % 28
        lines.append(json.dumps({
            "patientId": patient_id, "startedAt": f"2025-02-{day:02d}T{number % 24:02d}:15:00Z",
            "intensity": number % 11, "triggers": ["stress"],
            "notes": f"{tag} {number} " + "diary text " * 12,
        }))
    return ("\n".join(lines) + "\n").encode()


def committed(database: Path, tag: str) -> int:
    """Rows of the import `tag` a new reader sees (read-only: uncommitted WAL frames are invisible)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute("SELECT count(*) FROM episodes WHERE notes LIKE ?", (tag + " %",)).fetchone()[0]
    finally:
        connection.close()


def wal_size(database: Path) -> int:
    try:
        return os.path.getsize(str(database) + "-wal")
    except FileNotFoundError:
        return 0


def run(*arguments: str, timeout: float = PATIENCE) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *arguments], capture_output=True, text=True, timeout=timeout)


def verify(database: Path) -> None:
    result = run("verify", "--db", str(database))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok"), result.stdout


def new_database(directory: Path) -> tuple[Path, int, str]:
    """A database with one patient, written by a server that has stopped cleanly; with the
    patient's id and the admin token (shown on the first start only)."""
    directory.mkdir(parents=True, exist_ok=True)
    server = start_server(directory)
    try:
        status, _, patient = server.request("POST", "/v1/patients", {"displayName": "Ann"})
        assert status == 201, patient
    finally:
        assert server.stop() == 0, "".join(server.output)
    return server.database, patient["id"], server.admin_token


def still_works(directory: Path, patient_id: int, token: str, expected: int, tag: str) -> None:
    """A restart on the same database: it passes verify, serves, and takes writes."""
    verify(directory / "relieflog.sqlite")
    server = start_server(directory)
    try:
        assert committed(server.database, tag) == expected
        status, _, created = server.request(
            "POST", "/v1/episodes", {"patientId": patient_id, "startedAt": "2025-03-01T08:00:00Z", "intensity": 3},
            token=token)
        assert status == 201, created
        status, _, page = server.request("GET", f"/v1/episodes/{created['id']}", token=token)
        assert status == 200, page
    finally:
        assert server.stop() == 0, "".join(server.output)


@pytest.fixture(scope="module")
def exported_database(tmp_path_factory) -> tuple[Path, int, str]:
    """A stopped database holding ROWS episodes (imported by the command line), copied per test."""
    directory = tmp_path_factory.mktemp("base")
    database, patient, token = new_database(directory)
    source = directory / "rows.ndjson"
    source.write_bytes(rows(patient, "base"))
    result = run("import", "episodes", str(source), "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == ROWS
    return database, patient, token


def copy_of(base: tuple[Path, int, str], directory: Path) -> Path:
    directory.mkdir()
    for suffix in ("", "-wal"):
        if Path(str(base[0]) + suffix).exists():
            shutil.copy(str(base[0]) + suffix, str(directory / "relieflog.sqlite") + suffix)
    return directory / "relieflog.sqlite"


class ImportRequest(threading.Thread):
    """POSTs an NDJSON import on its own connection and keeps what comes back (or the failure)."""

    def __init__(self, url: str, token: str, body: bytes):
        super().__init__(daemon=True)
        self.address = urlparse(url)
        self.token = token
        self.body = body
        self.answer: tuple[int, dict[str, str], bytes] | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=PATIENCE)
        try:
            connection.request("POST", "/v1/episodes/import", self.body, {
                "Authorization": f"Bearer {self.token}", "Content-Type": "application/x-ndjson"})
            response = connection.getresponse()
            self.answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        except (OSError, http.client.HTTPException) as error:
            self.failure = error
        finally:
            connection.close()


def catch_import_mid_write(server, tag: str, request: ImportRequest) -> None:
    """Waits until the import writes uncommitted pages, freezes the server, checks that nothing
    is committed or answered yet, and sends SIGTERM (delivered when the server resumes)."""
    before = wal_size(server.database)
    request.start()
    wait_until(lambda: wal_size(server.database) > before + MID_WRITE_BYTES or not request.is_alive(),
               "the import writes into the WAL")
    with frozen(server.process):
        assert request.is_alive() and request.answer is None, "the import finished before SIGTERM: raise ROWS"
        assert committed(server.database, tag) == 0, "the import committed before SIGTERM: raise ROWS"
        server.process.send_signal(signal.SIGTERM)


def test_http_import_in_flight_at_sigterm_finishes_whole_within_the_grace(tmp_path: Path) -> None:
    _, patient, token = new_database(tmp_path / "db")
    server = start_server(tmp_path / "db", config(tmp_path, grace_seconds=PATIENCE))
    request = ImportRequest(server.url, token, rows(patient, "drained"))
    catch_import_mid_write(server, "drained", request)
    request.join(PATIENCE)
    assert request.failure is None, request.failure
    status, headers, body = request.answer
    assert status == 200, body
    assert json.loads(body)["inserted"] == ROWS
    # Answered after the shutdown began: the server says it closes the connection.
    assert headers.get("connection", "").lower() == "close", headers
    assert server.process.wait(PATIENCE) == 0, "".join(server.output)
    still_works(tmp_path / "db", patient, token, ROWS, "drained")


def test_http_import_still_uploading_when_the_grace_ends_writes_nothing(tmp_path: Path) -> None:
    _, patient, token = new_database(tmp_path / "db")
    server = start_server(tmp_path / "db", config(tmp_path, grace_seconds=1))
    body = rows(patient, "uploading")
    address = urlparse(server.url)
    client = socket.create_connection((address.hostname, address.port), timeout=PATIENCE)
    try:
        head = (f"POST /v1/episodes/import HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        client.sendall(head + body[: len(body) // 2])
        # Half the body is sent and the rest never will be: the request is in flight by construction.
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(PATIENCE) == 0, "".join(server.output)
        answer = b""
        try:
            while chunk := client.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    finally:
        client.close()
    still_works(tmp_path / "db", patient, token, 0, "uploading")


def test_http_import_writing_when_the_grace_ends_is_all_or_nothing(tmp_path: Path) -> None:
    _, patient, token = new_database(tmp_path / "db")
    server = start_server(tmp_path / "db", config(tmp_path, grace_seconds=1))
    request = ImportRequest(server.url, token, rows(patient, "graceless"))
    catch_import_mid_write(server, "graceless", request)
    assert server.process.wait(PATIENCE) == 0, "".join(server.output)
    request.join(PATIENCE)
    present = committed(server.database, "graceless")
    # The writer finishes the transaction it is in before the database closes, so the rows are
    # all there even when the connection was cut at the end of the grace; never a part of them.
    assert present in (0, ROWS), f"{present} of {ROWS} rows: half-written"
    if request.answer is not None:
        assert request.answer[0] == 200 and present == ROWS, request.answer
    print(f"import writing at the end of a 1 s grace: {present} rows present, "
          f"client {'answered ' + str(request.answer[0]) if request.answer else 'cut off: ' + repr(request.failure)}")
    still_works(tmp_path / "db", patient, token, present, "graceless")


def test_cli_import_killed_by_sigterm_writes_nothing(tmp_path: Path) -> None:
    database, patient, token = new_database(tmp_path / "db")
    source = tmp_path / "rows.ndjson"
    source.write_bytes(rows(patient, "killed"))
    before = wal_size(database)
    process = subprocess.Popen([BINARY, "import", "episodes", str(source), "--db", str(database)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: wal_size(database) > before + MID_WRITE_BYTES or process.poll() is not None,
               "the import writes into the WAL")
    with frozen(process):
        assert process.poll() is None, "the import finished before SIGTERM: raise ROWS"
        assert committed(database, "killed") == 0, "the import committed before SIGTERM: raise ROWS"
        process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=PATIENCE)
    assert process.returncode == -signal.SIGTERM
    assert stdout == "", "no summary: the import did not finish"
    assert committed(database, "killed") == 0
    still_works(tmp_path / "db", patient, token, 0, "killed")
    # The same file imports whole afterwards.
    result = run("import", "episodes", str(source), "--db", str(database))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == ROWS
    assert committed(database, "killed") == ROWS


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def interrupt_export(database: Path, out: Path) -> subprocess.CompletedProcess:
    """Starts `relieflog export episodes --out OUT`, catches it mid-file, sends SIGTERM."""
    partial = Path(str(out) + ".part")
    process = subprocess.Popen([BINARY, "export", "episodes", "--db", str(database), "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: (partial.exists() and partial.stat().st_size > MID_EXPORT_BYTES) or process.poll() is not None,
               "the export has written megabytes of its .part file")
    with frozen(process):
        assert process.poll() is None, "the export finished before SIGTERM: raise ROWS"
        assert partial.stat().st_size > MID_EXPORT_BYTES
        process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=PATIENCE)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_cli_export_interrupted_leaves_no_file_then_the_previous_one_and_exports_again(
        tmp_path: Path, exported_database) -> None:
    database = copy_of(exported_database, tmp_path / "db")

    # No previous file: nothing is left, neither the file nor its .part.
    fresh = tmp_path / "fresh.ndjson"
    result = interrupt_export(database, fresh)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert "interrupted" in result.stderr
    assert not fresh.exists()
    assert not Path(str(fresh) + ".part").exists()

    # A previous, complete file: it is still there, byte for byte.
    out = tmp_path / "episodes.ndjson"
    assert run("export", "episodes", "--db", str(database), "--out", str(out)).returncode == 0
    previous = digest(out)
    assert len(out.read_bytes().splitlines()) == ROWS
    result = interrupt_export(database, out)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert digest(out) == previous
    assert not Path(str(out) + ".part").exists()

    # The next export runs to the end and replaces the file.
    result = run("export", "episodes", "--db", str(database), "--out", str(fresh))
    assert result.returncode == 0, result.stderr
    assert len(fresh.read_bytes().splitlines()) == ROWS
    assert not Path(str(fresh) + ".part").exists()
    verify(database)


def read_chunked(data: bytes) -> tuple[bytes, bool]:
    """The body of a chunked message so far, and whether its last, empty chunk was there."""
    body = b""
    position = 0
    while True:
        end = data.find(b"\r\n", position)
        if end < 0:
            return body, False
        size = int(data[position:end].split(b";")[0], 16)
        if size == 0:
            return body, data[end + 2:].startswith(b"\r\n")
        start = end + 2
        if len(data) < start + size + 2:
            return body + data[start:start + size], False
        body += data[start:start + size]
        position = start + size + 2


def test_streamed_http_export_cut_by_sigterm_ends_without_the_last_chunk(tmp_path: Path, exported_database) -> None:
    copy_of(exported_database, tmp_path / "db")
    token = exported_database[2]
    server = start_server(tmp_path / "db", config(tmp_path, grace_seconds=1))
    address = urlparse(server.url)
    client = socket.socket()
    # A small receive window: the export cannot finish while this client does not read.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    client.settimeout(PATIENCE)
    client.connect((address.hostname, address.port))
    try:
        client.sendall((f"GET /v1/episodes/export HTTP/1.1\r\nHost: {address.netloc}\r\n"
                        f"Authorization: Bearer {token}\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received or len(received) < 64 * 1024:
            chunk = client.recv(65536)
            assert chunk, "the export ended early"
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"transfer-encoding: chunked" in head.lower(), head
        # Mid-stream by construction: the client has read 64 KiB of a 20 MiB body and stops reading.
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(PATIENCE) == 0, "".join(server.output)
        try:
            while chunk := client.recv(65536):
                rest += chunk
        except ConnectionResetError:
            pass  # a reset is a cut too; what arrived before it is in `rest`
    finally:
        client.close()
    body, complete = read_chunked(rest)
    assert not complete, "a cut export must not end with the terminating zero-length chunk"
    lines = body.split(b"\n")
    assert 0 < len(lines) - 1 < ROWS, f"{len(lines) - 1} whole lines of {ROWS}"
    for line in lines[:-1]:
        json.loads(line)  # what did arrive is whole lines of records, then at most a part of one

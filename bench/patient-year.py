"""Database size per patient-year, measured on a realistic year written through the API.

Each patient gets one year of an episodic migraine diary: 6 attacks a month (72 episodes: end
time, intensity, aura in a quarter, 2-3 symptoms, 1-2 triggers, one medication, disability,
relief measures, a short note on half of them) and 2 professional massage sessions a month
(24: two techniques, two areas, pressure, pain and stress before and after, a note on half).
Every write also leaves its audit row, as in production. Sizes come from SQLite's dbstat
table (each table with its indexes), so they are what the data costs, not free pages.

    python3 bench/patient-year.py [PATIENTS]     (default 50; RELIEFLOG_BINARY picks the binary)
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "Tests/e2e"))
from relieflog_server import start_server  # noqa: E402

PATIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
SYMPTOMS = ["nausea", "photophobia", "phonophobia", "osmophobia", "dizziness", "neck_pain", "fatigue"]
TRIGGERS = ["stress", "poor_sleep", "skipped_meal", "weather", "menstruation", "screen_time", "alcohol"]
NOTES = [
    "Throbbing behind the left eye; eased after a neck massage.",
    "Woke up with it, worse with light. Took the triptan at 7.",
    "Long day at the screen, skipped lunch.",
]


def main() -> int:
    random.seed(42)
    work = Path(tempfile.mkdtemp(prefix="relieflog-patient-year-"))
    config = work / "unlimited.json"
    config.write_text('{"rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0}, "accessLog": false}')
    server = start_server(work, ["--config", str(config)])
    status, _, therapist = server.request("POST", "/v1/therapists", {"name": "Therapist", "licenseNumber": "L-1"})
    assert status == 201, therapist
    started = time.monotonic()
    writes = 0
    for number in range(PATIENTS):
        status, _, patient = server.request(
            "POST", "/v1/patients", {"displayName": f"Patient {number}", "timezone": "Europe/Berlin", "birthYear": 1985}
        )
        assert status == 201, patient
        for month in range(1, 13):
            for day in sorted(random.sample(range(1, 29), 6)):
                start = datetime(2025, month, day, random.randint(5, 20), 15, tzinfo=timezone(timedelta(hours=1)))
                end = start + timedelta(hours=random.randint(4, 30))
                body = {
                    "patientId": patient["id"],
                    "startedAt": start.isoformat(),
                    "endedAt": end.isoformat(),
                    "intensity": random.randint(3, 9),
                    "aura": random.random() < 0.25,
                    "symptoms": random.sample(SYMPTOMS, random.randint(2, 3)),
                    "triggers": random.sample(TRIGGERS, random.randint(1, 2)),
                    "medications": [{"name": "Sumatriptan", "class": "triptan", "doseMg": 50}],
                    "disability": random.choice(["mild", "moderate", "severe"]),
                    "reliefMeasures": ["dark_room", "sleep"],
                }
                if random.random() < 0.5:
                    body["notes"] = random.choice(NOTES)
                status, _, created = server.request("POST", "/v1/episodes", body)
                assert status == 201, (body, created)
                writes += 1
            for day in (7, 21):
                body = {
                    "patientId": patient["id"],
                    "therapistId": therapist["id"],
                    "kind": "professional",
                    "startedAt": f"2025-{month:02d}-{day:02d}T16:00:00+01:00",
                    "durationMinutes": 45,
                    "techniques": ["neck_shoulder", "trigger_point"],
                    "areas": ["neck", "shoulders"],
                    "pressure": "medium",
                    "painBefore": random.randint(2, 7),
                    "painAfter": random.randint(0, 4),
                    "stressBefore": random.randint(3, 8),
                    "stressAfter": random.randint(1, 5),
                }
                if random.random() < 0.5:
                    body["notes"] = "Tight trapezius on the left; pressure eased the temple pain."
                status, _, created = server.request("POST", "/v1/sessions", body)
                assert status == 201, (body, created)
                writes += 1
    seconds = time.monotonic() - started
    assert server.stop() == 0

    connection = sqlite3.connect(work / "relieflog.sqlite")
    owner = dict(connection.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))
    sizes: dict[str, int] = {}
    for name, size in connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        sizes[table] = sizes.get(table, 0) + size
    rows = {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in ("episodes", "sessions", "audit_log")}
    file_bytes = (work / "relieflog.sqlite").stat().st_size
    connection.close()

    audit_per_row = sizes["audit_log"] / rows["audit_log"]
    records = (sizes["episodes"] + sizes["sessions"]) / PATIENTS
    write_audit = audit_per_row * (rows["episodes"] + rows["sessions"]) / PATIENTS
    print(f"{PATIENTS} patient-years: {rows['episodes']} episodes, {rows['sessions']} sessions, "
          f"{writes} writes in {seconds:.1f} s through the API ({writes / seconds:.0f}/s, one client)")
    print(f"file {file_bytes / 2**20:.1f} MiB ({file_bytes / PATIENTS / 1024:.0f} KiB per patient-year)")
    print("| part | per patient-year |")
    print("|---|---|")
    print(f"| episodes with indexes ({sizes['episodes'] / rows['episodes']:.0f} B each) | {sizes['episodes'] / PATIENTS / 1024:.0f} KiB |")
    print(f"| sessions with indexes ({sizes['sessions'] / rows['sessions']:.0f} B each) | {sizes['sessions'] / PATIENTS / 1024:.0f} KiB |")
    print(f"| audit rows of those writes ({audit_per_row:.0f} B each) | {write_audit / 1024:.0f} KiB |")
    for reads in (10, 50):
        read_audit = audit_per_row * reads * 365
        print(f"| audit rows of {reads} reads a day | {read_audit / 1024:.0f} KiB |")
    print(f"| total with 10 / 50 audited reads a day | {(records + write_audit + audit_per_row * 3650) / 1024:.0f} / "
          f"{(records + write_audit + audit_per_row * 18250) / 1024:.0f} KiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""FHIR R4 output checked by an independent validator: every resource the server emits must
parse with the `fhir.resources` models (R4 4.0.1 structure definitions)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relieflog_server import start_server  # noqa: E402

from fhir.resources import construct_fhir_element  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("fhir"))
    yield server
    server.stop()


def create(server, collection, body):
    status, _, created = server.request("POST", f"/v1/{collection}", body)
    assert status == 201, created
    return created["id"]


@pytest.fixture(scope="module")
def clinic(server):
    ann = create(server, "patients", {"displayName": "Ann", "birthYear": 1980, "externalId": "p-1",
                                      "timezone": "Europe/Berlin"})
    bo = create(server, "patients", {"displayName": "Bo"})
    dana = create(server, "therapists", {"name": "Dana", "licenseNumber": "L1", "licenseJurisdiction": "US-CA",
                                         "certifications": ["CMT"], "email": "d@example.org", "phone": "+1 555 0100"})
    create(server, "episodes", {
        "patientId": ann, "startedAt": "2026-11-01T08:00:00+01:00", "endedAt": "2026-11-01T20:00:00Z",
        "intensity": 7, "aura": True, "symptoms": ["nausea"], "locations": ["left"], "triggers": ["stress"],
        "medications": [{"name": "Sumatriptan", "class": "triptan", "doseMg": 50, "takenAt": "2026-11-01T08:30:00Z",
                         "effective": True}, {"name": "Ibuprofen", "doseMg": 400.5}],
        "reliefMeasures": ["dark_room"], "stressLevel": 6, "disability": "moderate", "notes": "bad one",
        "externalId": "e-1"})
    create(server, "episodes", {"patientId": ann, "startedAt": "2026-11-05T08:00:00Z", "intensity": 3})
    create(server, "episodes", {"patientId": ann, "startedAt": "2026-11-06T08:00:00Z", "intensity": 5,
                                "symptoms": ["photophobia"]})
    create(server, "sessions", {"patientId": ann, "therapistId": dana, "startedAt": "2026-11-03T10:00:00Z",
                                "durationMinutes": 45, "techniques": ["scalp", "trigger_point"],
                                "areas": ["neck", "scalp"], "pressure": "medium", "painBefore": 6, "painAfter": 2,
                                "stressBefore": 7, "stressAfter": 3, "notes": "fine"})
    create(server, "sessions", {"patientId": ann, "startedAt": "2026-11-04T10:00:00Z", "durationMinutes": 20,
                                "techniques": ["stroking"]})
    create(server, "episodes", {"patientId": bo, "startedAt": "2026-11-02T08:00:00Z", "intensity": 4})
    return {"ann": ann, "bo": bo, "dana": dana}


def parse(resource):
    """The resource parsed by the R4 models; raises when it does not validate."""
    return construct_fhir_element(resource["resourceType"], resource)


def test_metadata_is_a_capability_statement_without_a_token(server):
    status, headers, body = server.request("GET", "/fhir/r4/metadata", token="")
    assert status == 200
    assert headers["Content-Type"].startswith("application/fhir+json")
    assert parse(body).fhirVersion == "4.0.1"


def test_patient_and_practitioner_validate(server, clinic):
    status, _, patient = server.request("GET", f"/fhir/r4/Patient/{clinic['ann']}")
    assert status == 200
    parsed = parse(patient)
    systems = {identifier.system: identifier.value for identifier in parsed.identifier}
    assert systems["urn:relieflog:patients"] == str(clinic["ann"])
    assert systems["urn:relieflog:patients:externalId"] == "p-1"
    status, _, practitioner = server.request("GET", f"/fhir/r4/Practitioner/{clinic['dana']}")
    assert status == 200
    parse(practitioner)


def test_everything_bundle_and_each_resource_validate(server, clinic):
    status, _, bundle = server.request("GET", f"/fhir/r4/Patient/{clinic['ann']}/$everything")
    assert status == 200, bundle
    parsed = parse(bundle)
    assert parsed.type == "searchset"
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    for entry in bundle["entry"]:
        parse(entry["resource"])
    assert kinds.count("Patient") == 1
    assert kinds.count("Practitioner") == 1
    assert kinds.count("Procedure") == 2
    assert kinds.count("MedicationStatement") == 2
    # Three episodes, four before/after measures of the professional session.
    assert kinds.count("Observation") == 3 + 4
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    symptom = observations[0]
    assert symptom["code"]["coding"][0] == {"system": "http://loinc.org", "code": "75325-1", "display": "Symptom"}
    assert symptom["valueCodeableConcept"]["coding"][0]["code"] == "4473006"
    severity = symptom["component"][0]
    assert severity["code"]["coding"][0]["code"] == "72514-3"
    assert severity["valueInteger"] == 7
    codes = {o["valueCodeableConcept"]["coding"][0]["code"] for o in observations if "valueCodeableConcept" in o}
    assert codes == {"4473006", "25064002", "56097005"}
    # Nothing of another patient.
    assert all(
        e["resource"].get("subject", {}).get("reference", f"Patient/{clinic['ann']}") == f"Patient/{clinic['ann']}"
        for e in bundle["entry"])
    status, _, window = server.request(
        "GET", f"/fhir/r4/Patient/{clinic['ann']}/$everything?start=2026-11-04&end=2026-11-06")
    assert status == 200
    assert [e["resource"]["resourceType"] for e in window["entry"]] == ["Patient", "Observation", "Procedure"]


def test_errors_are_operation_outcomes(server, clinic):
    status, headers, outcome = server.request("GET", "/fhir/r4/Patient/999")
    assert status == 404
    assert parse(outcome).issue[0].code == "not-found"
    status, headers, outcome = server.request("GET", f"/fhir/r4/Patient/{clinic['ann']}", token="nope")
    assert status == 401
    assert headers["Content-Type"].startswith("application/fhir+json")
    assert parse(outcome).issue[0].code == "login"


def raw_get(server, path, token=None):
    """A GET whose body is returned as bytes (the harness parses anything that says json)."""
    import urllib.error
    import urllib.request

    token = server.admin_token if token is None else token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(server.url + path, headers=headers), timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def run_export(server, path, token=None):
    status, headers, body = server.request("GET", path, token=token, headers={"Prefer": "respond-async",
                                                                            "Accept": "application/fhir+json"})
    assert status == 202, body
    status_url = headers["Content-Location"]
    assert status_url.startswith(server.url + "/fhir/r4/bulk/")
    relative = status_url[len(server.url):]
    for _ in range(600):
        status, headers, body = server.request("GET", relative, token=token)
        if status != 202:
            break
        assert "X-Progress" in headers and headers["Retry-After"] == "1"
        time.sleep(0.05)
    return status, relative, body


def test_bulk_export_kick_off_poll_manifest_files_delete(server, clinic):
    status, relative, manifest = run_export(server, "/fhir/r4/$export")
    assert status == 200, manifest
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["request"].endswith("/fhir/r4/$export")
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts == {"Patient": 2, "Practitioner": 1, "Observation": 4 + 4, "MedicationStatement": 2,
                      "Procedure": 2}
    for item in manifest["output"]:
        url = item["url"][len(server.url):]
        status, headers, raw = raw_get(server, url)
        assert status == 200
        assert headers["Content-Type"] == "application/fhir+ndjson"
        lines = raw.decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == item["type"]
            parse(resource)
        # The files need the token too.
        status, _, _ = raw_get(server, url, token="")
        assert status == 401
    status, _, _ = server.request("DELETE", relative)
    assert status == 202
    status, _, outcome = server.request("GET", relative)
    assert status == 404
    parse(outcome)


def test_bulk_export_filters_and_refusals(server, clinic):
    status, _, manifest = run_export(server, "/fhir/r4/Patient/$export?_type=Patient,Procedure")
    assert status == 200
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Procedure"]
    status, _, manifest = run_export(server, "/fhir/r4/$export?_since=2999-01-01T00:00:00Z")
    assert status == 200 and manifest["output"] == []
    status, _, outcome = server.request("GET", "/fhir/r4/$export")
    assert status == 400
    parse(outcome)
    status, _, outcome = server.request("GET", "/fhir/r4/$export?_type=Encounter", headers={"Prefer": "respond-async"})
    assert status == 400
    status, _, created = server.request("POST", "/v1/tokens", {"role": "patient", "patientId": clinic["ann"]})
    status, _, outcome = server.request("GET", "/fhir/r4/$export", token=created["token"],
                                        headers={"Prefer": "respond-async"})
    assert status == 403
    assert parse(outcome).issue[0].code == "forbidden"


def test_a_job_cut_off_by_a_stop_fails_visibly(tmp_path):
    import sqlite3

    first = start_server(tmp_path)
    token = first.admin_token
    first.stop()
    connection = sqlite3.connect(tmp_path / "relieflog.sqlite")
    connection.execute(
        "INSERT INTO fhir_export_jobs (token_id, request, base_url, level, types, state, transaction_time_ms,"
        " created_at_ms) VALUES (1, 'http://x/fhir/r4/$export', 'http://x/fhir/r4', 'system', '[\"Patient\"]',"
        " 'running', 0, 0)")
    job = connection.execute("SELECT max(id) FROM fhir_export_jobs").fetchone()[0]
    connection.commit()
    connection.close()
    (tmp_path / "fhir-exports" / str(job)).mkdir(parents=True)
    (tmp_path / "fhir-exports" / str(job) / "Patient.ndjson.part").write_text("{\"half\n")
    second = start_server(tmp_path)
    try:
        status, _, outcome = second.request("GET", f"/fhir/r4/bulk/{job}", token=token)
        assert status == 500
        assert "stopped" in parse(outcome).issue[0].diagnostics
        assert not (tmp_path / "fhir-exports" / str(job)).exists()
    finally:
        second.stop()

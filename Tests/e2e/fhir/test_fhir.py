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

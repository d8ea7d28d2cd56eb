"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A run authenticates with tokens the script created, bound to patients and a therapist it
created. Schemathesis reuses ids it has seen in responses (GET /v1/tokens lists every token),
so sooner or later it deletes the run's own admin token, or a patient and with it that
patient's token (API.md: DELETE erases every token bound to the patient); every request after
that is a 401 and tests nothing. The script names those objects in RELIEFLOG_ST_PROTECTED, e.g.
"tokens=1,2,3,4;patients=1,2;therapists=1", and a DELETE aimed at one of them is sent to an id
that does not exist instead (404, which every check accepts for DELETE). Deleting anything
else, including what the run itself created, is sent unchanged.
"""

from __future__ import annotations

import os

import schemathesis

# The largest id the OpenAPI document admits; the server never hands it out in a test run.
ABSENT_ID = 9223372036854775807


def _protected() -> dict[str, set[str]]:
    protected: dict[str, set[str]] = {}
    for part in os.environ.get("RELIEFLOG_ST_PROTECTED", "").split(";"):
        resource, _, ids = part.partition("=")
        if resource and ids:
            protected[f"/v1/{resource.strip()}/{{id}}"] = {value.strip() for value in ids.split(",") if value.strip()}
    return protected


PROTECTED = _protected()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() != "DELETE":
        return
    ids = PROTECTED.get(case.operation.path)
    if ids and case.path_parameters and str(case.path_parameters.get("id")) in ids:
        case.path_parameters["id"] = ABSENT_ID

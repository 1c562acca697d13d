"""Schemathesis over the whole OpenAPI schema, against the running product: for every operation,
generated requests (valid and not) never get a 500 and every answer matches the schema the
operation documents. Each operation is called as a role allowed to call it, so requests get past
the permission check and reach validation, the domain and the read models.

Two runs. Per operation: the explicit examples, the coverage phase's cases and a few
derandomized fuzzed examples (about 3,000 requests, 80 s of CPU). Stateful: sequences that feed
one answer into the next call (a created patient's id into its orders, an order's claim into the
claim commands), following the links schemathesis infers from the document, so commands run on
records that exist rather than answering 404.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.identity import Role
from interfaces.http.app import create_app
from interfaces.http.permissions import PERMISSIONS
from interfaces.settings import Settings
from tests.e2e.conftest import headers_for

pytestmark = pytest.mark.e2e

# Who calls an operation: the first role, in this order, the matrix allows.
PREFERENCE = (Role.ADMIN, Role.BILLER, Role.INTAKE, Role.CLINICIAN, Role.AUDITOR, Role.ANALYST)
# These end the caller's sessions or hold its tenant to MFA enrolment: each call gets a caller
# in a tenant of its own, so the operations after them still run as their callers.
OWN_CALLER = {"log_out", "set_login_policy"}


@pytest.fixture(scope="module")
def callers(api) -> dict[Role, dict[str, str]]:
    return callers_in_new_tenant(api)


def callers_in_new_tenant(api) -> dict[Role, dict[str, str]]:
    """A caller of each role in a new tenant, each logged in when first asked for."""
    tenant = f"t-fuzz-{uuid.uuid4().hex[:8]}"

    class Callers(dict):
        def __missing__(self, role: Role) -> dict[str, str]:
            self[role] = headers_for(api, role, tenant)
            return self[role]

    return Callers()


# The schema the app serves (building the app needs no database). Requests go through the
# running app's own TestClient: schemathesis's ASGI transport would start another event loop,
# and the app's async Redis client belongs to the first one.
# Every phase runs (examples, coverage, fuzzing). The coverage phase calls each operation with
# methods it does not allow: one such method shows the 405 as well as seven, at a seventh of
# the time.
# The stateful sequences send valid requests only: an invalid one answers 4xx and ends the
# chain before it reaches the commands that need a created record (the other phases send the
# invalid ones).
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "coverage": {"unexpected-methods": ["patch"]},
            "stateful": {"generation": {"mode": "positive"}},
        }
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(settings=Settings(environment="test")).openapi(), config=CONFIG
)


# Every check that the answer is the one the document promises, and no 500.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500_or_breaks_its_schema(case, api, callers):
    case.validate_response(send(case, api, callers), checks=CHECKS)


def test_no_sequence_of_operations_answers_500_or_breaks_its_schema(api):
    # Each sequence starts in a tenant of its own: one that deactivates its caller or changes
    # the login policy must not change what the next one can do.
    class Sequences(schema.as_state_machine()):
        def setup(self):
            self.callers = callers_in_new_tenant(api)

        def call(self, case, **kwargs):
            return Response.from_any(send(case, api, self.callers))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Sequences.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def send(case, api, callers):
    """`case` sent as the first role the permission matrix allows to call its operation."""
    operation_id = case.operation.definition.raw.get("operationId")
    allowed = PERMISSIONS.get(operation_id, frozenset(Role))
    role = next((r for r in PREFERENCE if r in allowed), Role.ADMIN)
    # A generated min_position would make queries wait for a position nobody will reach, and a
    # generated API key would replace the caller's credentials.
    if case.query:
        case.query.pop("min_position", None)
    for name in [h for h in (case.headers or {}) if h.lower() in ("x-min-position", "x-api-key")]:
        del case.headers[name]
    if operation_id in OWN_CALLER:
        headers = headers_for(api, role, f"t-fuzz-own-{uuid.uuid4().hex[:8]}")
    else:
        headers = dict(callers[role])
    if operation_id == "issue_token":
        headers.pop("Authorization", None)
    return api.request(**case.as_transport_kwargs(base_url="http://testserver", headers=headers))

"""Who may do what: the role x operation matrix, in code, the `Allowed` dependency alias that
checks it, and which tenant an admin may manage (`tenant_for`).

Every operation is named by its route's `operation_id`. An operation missing from
`PERMISSIONS` is denied to everyone (a new endpoint is closed until someone decides who may
call it). Denials answer 403 problem+json and are logged with the operation and the caller's
id and role, never with request data.

To add an endpoint: give the route `operation_id="create_order"`, add
`"create_order": frozenset({ADMIN, INTAKE})` here, and take `principal: Allowed("create_order")`
in the endpoint (`Allowed("read_patient", phi="demographics")` where a refusal is a PHI access
attempt). `tests/unit/test_http_permissions.py` fails for a /v1 route that does not take the
`Allowed` of its own operation id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request

from application.identity import Principal
from domain.context import SYSTEM_TENANT
from domain.identity import Role
from interfaces.http.access import record_denied
from interfaces.http.problems import ProblemError
from interfaces.http.security import CurrentUser

ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR, ANALYST = (
    Role.ADMIN, Role.INTAKE, Role.CLINICIAN, Role.BILLER, Role.AUDITOR, Role.ANALYST
)
EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # identity (interfaces/http/routes/users.py, api_keys.py, auth.py). Everyone manages their
    # own login: who they are, their password, their second factor, logging out. Admins manage
    # their tenant's users, keys and login policy; auditors read users and the policy (access
    # reviews: who holds which role, who is inactive, whether MFA is required) but change none.
    "read_current_user": EVERYONE,
    "change_own_password": EVERYONE,
    "start_mfa_enrolment": EVERYONE,
    "confirm_mfa_enrolment": EVERYONE,
    "log_out": EVERYONE,
    "create_user": frozenset({ADMIN}),
    "list_users": frozenset({ADMIN, AUDITOR}),
    "read_user": frozenset({ADMIN, AUDITOR}),
    "deactivate_user": frozenset({ADMIN}),
    "change_user_role": frozenset({ADMIN}),
    "reset_user_password": frozenset({ADMIN}),
    "unlock_user": frozenset({ADMIN}),
    "revoke_user_sessions": frozenset({ADMIN}),
    "reset_user_mfa": frozenset({ADMIN}),
    "read_login_policy": frozenset({ADMIN, AUDITOR}),
    "set_login_policy": frozenset({ADMIN}),
    "issue_api_key": frozenset({ADMIN}),
    "revoke_api_key": frozenset({ADMIN}),
    # the supplier (routes/locations.py, routes/payers.py). Admins set up the company, its
    # locations and its payers; everyone who works claims or orders reads them (intake picks
    # the location of an order and the payer of a coverage). No PHI here: analysts read the
    # tables with SQL, and the API too.
    "register_company": frozenset({ADMIN}),
    "correct_company": frozenset({ADMIN}),
    "read_company": EVERYONE,
    "open_location": frozenset({ADMIN}),
    "correct_location": frozenset({ADMIN}),
    "close_location": frozenset({ADMIN}),
    "list_locations": EVERYONE,
    "read_location": EVERYONE,
    "register_payer": frozenset({ADMIN, BILLER}),
    "correct_payer": frozenset({ADMIN, BILLER}),
    "retire_payer": frozenset({ADMIN, BILLER}),
    "list_payers": EVERYONE,
    "read_payer": EVERYONE,
    # billing (interfaces/http/routes/billing.py)
    "run_billing": frozenset({ADMIN, BILLER}),
    # patients (routes/patients.py). Intake registers patients and keeps their demographics
    # and coverage; admins may stand in. Billers and auditors read demographics and coverage
    # (claims need them); analysts get no patient API (they query read-model views with SQL).
    # Note text is clinical: clinicians write and read it; auditors read it (documentation
    # audits, HIPAA accounting); admins and billers never see it (minimum necessary).
    "register_patient": frozenset({ADMIN, INTAKE}),
    "list_patients": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "read_patient": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "correct_patient_demographics": frozenset({ADMIN, INTAKE}),
    "add_coverage": frozenset({ADMIN, INTAKE}),
    "terminate_coverage": frozenset({ADMIN, INTAKE}),
    "deactivate_patient": frozenset({ADMIN, INTAKE}),
    "add_note": frozenset({CLINICIAN}),
    "amend_note": frozenset({CLINICIAN}),
    "list_notes": frozenset({CLINICIAN, AUDITOR}),
    # summaries (routes/summaries.py). A summary quotes note text, so it follows the notes'
    # rule: clinicians request and read them, auditors read them, admins and billers never see
    # them (minimum necessary). Marking one reviewed is a clinical sign-off: clinicians only.
    "request_summary": frozenset({CLINICIAN}),
    "read_current_summary": frozenset({CLINICIAN, AUDITOR}),
    "read_summary": frozenset({CLINICIAN, AUDITOR}),
    "review_summary": frozenset({CLINICIAN}),
    # orders (routes/orders.py). Intake runs an order from intake through documents and
    # delivery to pickup or cancellation; admins may stand in. Billers read orders (claims are
    # built from them), verify eligibility and record prior-authorization decisions (the
    # 270/271 and the UTN are billing-office work, and the UTN goes on the claim), and hold or
    # release an order (a hold defers rental billing). Clinicians (respiratory therapists)
    # read orders and record PAP adherence, a clinical evaluation; intake may record it from a
    # compliance download. Auditors read. Analysts get no order API: the read models carry
    # diagnoses and patient ids, and analysts query de-identified views with SQL instead.
    "place_order": frozenset({ADMIN, INTAKE}),
    "list_orders": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "read_order": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "verify_order_coverage": frozenset({ADMIN, INTAKE, BILLER}),
    "record_order_documents": frozenset({ADMIN, INTAKE}),
    "decide_prior_authorization": frozenset({ADMIN, INTAKE, BILLER}),
    "deliver_order": frozenset({ADMIN, INTAKE}),
    "hold_order": frozenset({ADMIN, INTAKE, BILLER}),
    "release_order": frozenset({ADMIN, INTAKE, BILLER}),
    "pick_up_order": frozenset({ADMIN, INTAKE}),
    "redeliver_order": frozenset({ADMIN, INTAKE}),
    # An inpatient stay pauses rental billing: intake hears of it from the patient, billing
    # from a payer's rejection.
    "record_institutional_stay": frozenset({ADMIN, INTAKE, BILLER}),
    "record_discharge": frozenset({ADMIN, INTAKE, BILLER}),
    "cancel_order": frozenset({ADMIN, INTAKE}),
    "record_adherence": frozenset({ADMIN, INTAKE, CLINICIAN}),
    # inventory (routes/inventory.py, serials.py). Intake runs the warehouse side of orders
    # (deliveries, pickups) and so receives, moves, counts and services stock; admins may
    # stand in. Stock levels name no patient: billers, auditors and analysts read them, and
    # the rental census (counts). Where a serial is, its history and a patient's rentals name
    # patients: the people who read orders read them (access-logged), analysts do not.
    "receive_stock": frozenset({ADMIN, INTAKE}),
    "transfer_stock": frozenset({ADMIN, INTAKE}),
    "adjust_stock": frozenset({ADMIN, INTAKE}),
    "count_stock": frozenset({ADMIN, INTAKE}),
    "set_reorder_point": frozenset({ADMIN, INTAKE}),
    "list_stock": frozenset({ADMIN, INTAKE, BILLER, AUDITOR, ANALYST}),
    "read_stock": frozenset({ADMIN, INTAKE, BILLER, AUDITOR, ANALYST}),
    "list_stock_movements": frozenset({ADMIN, INTAKE, BILLER, AUDITOR, ANALYST}),
    "read_rental_census": frozenset({ADMIN, INTAKE, BILLER, AUDITOR, ANALYST}),
    "read_serial": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "read_serial_history": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "list_patient_rentals": frozenset({ADMIN, INTAKE, CLINICIAN, BILLER, AUDITOR}),
    "service_serial": frozenset({ADMIN, INTAKE}),
    "restock_serial": frozenset({ADMIN, INTAKE}),
    "sell_serial": frozenset({ADMIN, INTAKE, BILLER}),
    "retire_serial": frozenset({ADMIN, INTAKE}),
    # claims (routes/claims.py). Billers work claims and admins may stand in; auditors read
    # them (claim audits) but change nothing. The AR aging is aggregate money by payer, no
    # patient in it: analysts read it too. Intake and clinicians have no claim money to see
    # (minimum necessary), nor have analysts single claims or the work queue (which names
    # patients' claims one by one).
    "list_claims": frozenset({ADMIN, BILLER, AUDITOR}),
    "read_claim": frozenset({ADMIN, BILLER, AUDITOR}),
    "submit_claim": frozenset({ADMIN, BILLER}),
    "appeal_claim": frozenset({ADMIN, BILLER}),
    "void_claim": frozenset({ADMIN, BILLER}),
    "settle_claim_transmission": frozenset({ADMIN, BILLER}),
    # the lifecycle after the payer's answer (routes/claim_lifecycle.py): billing-office work
    "correct_claim": frozenset({ADMIN, BILLER}),
    "replace_claim": frozenset({ADMIN, BILLER}),
    "resubmit_claim": frozenset({ADMIN, BILLER}),
    "bill_secondary": frozenset({ADMIN, BILLER}),
    "record_patient_payment": frozenset({ADMIN, BILLER}),
    "refund_patient": frozenset({ADMIN, BILLER}),
    "write_off_claim": frozenset({ADMIN, BILLER}),
    "decide_claim_appeal": frozenset({ADMIN, BILLER}),
    "close_claim": frozenset({ADMIN, BILLER}),
    # real-time inquiries (routes/inquiries.py): intake verifies coverage before an order is
    # delivered, billers before billing; claim status is billing-office work
    "check_eligibility": frozenset({ADMIN, INTAKE, BILLER}),
    "request_claim_status": frozenset({ADMIN, BILLER}),
    # batch actions (routes/claim_batches.py); statements name patients and their addresses
    "submit_claim_batch": frozenset({ADMIN, BILLER}),
    "run_patient_statements": frozenset({ADMIN, BILLER}),
    "read_patient_statements": frozenset({ADMIN, BILLER}),
    "read_work_queue": frozenset({ADMIN, BILLER}),
    "read_ar_aging": frozenset({ADMIN, BILLER, AUDITOR, ANALYST}),
    "read_claim_x12": frozenset({ADMIN, BILLER, AUDITOR}),  # routes/x12.py: the 837P is PHI
    # remittances (routes/remittances.py): 835 posting is billing-office work.
    "receive_remittance": frozenset({BILLER}),
    "read_remittance": frozenset({BILLER}),
    # jobs (routes/jobs.py). Whoever may start a kind of job may follow it: clinicians their
    # summaries, billers claim submissions and remittances, admins and auditors all; the
    # route narrows by kind (another kind's job is a 404).
    "read_job": frozenset({ADMIN, CLINICIAN, BILLER, AUDITOR, ANALYST}),
    "stream_job_events": frozenset({ADMIN, CLINICIAN, BILLER, AUDITOR, ANALYST}),
    # report files (routes/reports.py): figures by payer, code and month, no patient named, so
    # analysts too, except the reports listing single claims (the route narrows by kind);
    # analysts follow their report jobs (and no other kind: routes/jobs.py).
    "request_report": frozenset({ADMIN, BILLER, AUDITOR, ANALYST}),
    "download_report": frozenset({ADMIN, BILLER, AUDITOR, ANALYST}),
    # audit (routes/audit.py). Admins and auditors read history, state, the feed, the chain
    # check and the access log; no audit operation changes anything.
    "read_audit_history": frozenset({ADMIN, AUDITOR}),
    "read_audit_state": frozenset({ADMIN, AUDITOR}),
    "read_audit_feed": frozenset({ADMIN, AUDITOR}),
    "verify_audit_chain": frozenset({ADMIN, AUDITOR}),
    "read_access_log": frozenset({ADMIN, AUDITOR}),
    "read_disclosures": frozenset({ADMIN, AUDITOR}),
    # the equipment catalogue (routes/catalogue.py): supplier set-up, no PHI. Admins keep it;
    # every role reads it (intake picks items for orders, billers check codes, analysts count).
    "add_equipment_item": frozenset({ADMIN}),
    "revise_equipment_item": frozenset({ADMIN}),
    "discontinue_equipment_item": frozenset({ADMIN}),
    "list_equipment_items": EVERYONE,
    "read_equipment_item": EVERYONE,
    # fee schedules (routes/fee_schedules.py): what payers allow, no PHI. Admins and billers
    # import them (billing-office work each quarter); auditors and analysts read them.
    "import_fee_schedule": frozenset({ADMIN, BILLER}),
    "list_fee_schedules": frozenset({ADMIN, BILLER, AUDITOR, ANALYST}),
    "read_fee_schedule": frozenset({ADMIN, BILLER, AUDITOR, ANALYST}),
}

# What a user whose tenant requires a second factor may do before enrolling one.
MFA_ENROLMENT_OPERATIONS = frozenset(
    {"read_current_user", "start_mfa_enrolment", "confirm_mfa_enrolment", "log_out",
     "change_own_password"}
)

log = structlog.get_logger("aries.http.permissions")


def is_allowed(role: Role, operation: str) -> bool:
    """Whether `role` may perform `operation` (unknown operations: nobody)."""
    return role in PERMISSIONS.get(operation, frozenset())


def require(operation: str, *, phi: str | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency answering the authenticated principal if its role may do `operation`,
    else 403. With `phi` (the fields class the operation reads, e.g. "demographics"), a denial
    is also recorded in the PHI access log (interfaces/http/access.py)."""

    async def permitted(principal: CurrentUser, request: Request) -> Principal:
        if not is_allowed(principal.role, operation):
            log.info(
                "permission denied", operation=operation,
                actor_id=str(principal.id), role=principal.role.value,
            )
            if phi is not None:
                await record_denied(request, principal, operation, phi)
            raise ProblemError(
                403, "Forbidden", f"role {principal.role.value!r} may not {operation}",
                type_="https://aries.dev/problems/forbidden", operation=operation,
            )
        if principal.mfa_enrolment_required and operation not in MFA_ENROLMENT_OPERATIONS:
            raise ProblemError(
                403, "Forbidden", "your tenant requires a second factor: enrol one first "
                "(POST /v1/users/me/mfa)",
                type_="https://aries.dev/problems/mfa-enrolment-required", operation=operation,
            )
        return principal

    permitted.operation = operation  # type: ignore[attr-defined]  (read by the route audit)
    return permitted


def tenant_for(principal: Principal, requested: str | None) -> str:
    """The tenant a new user or key belongs to: the caller's own, unless a system-tenant admin
    names another."""
    tenant = requested or principal.tenant_id
    if tenant != principal.tenant_id and principal.tenant_id != SYSTEM_TENANT:
        raise ProblemError(
            403, "Forbidden", "an admin manages their own tenant only",
            type_="https://aries.dev/problems/forbidden",
        )
    return tenant


def Allowed(operation: str, *, phi: str | None = None) -> Any:  # capitalised: it reads as a type
    """The dependency alias every endpoint takes: the authenticated principal, if its role may
    do `operation` (`principal: Allowed("read_patient", phi="demographics")`)."""
    return Annotated[Principal, Depends(require(operation, phi=phi))]

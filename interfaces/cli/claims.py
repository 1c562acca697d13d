"""`aries claims ...`: the billing office's claim commands an office scripts (batch submission,
claim status checks, patient payments and refunds, write-offs, closing), run as the tenant's
billing office.

Each command acts in one tenant (`--tenant`) under the actor `cli:claims`; a rule's refusal
prints the rule and exits 1. Batch submission and status checks show their progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from application import claim_lifecycle as lifecycle
from application.claim_batches import submit_claims
from application.inquiries import InquiryUnanswered
from application.ports import TransientFailure
from domain.context import EventContext, bound_context
from domain.errors import DomainError
from interfaces.bootstrap import Aries, bootstrap
from interfaces.clearinghouse import inquiry_service_from
from interfaces.http.schemas.claim_lifecycle import WriteOffCode
from interfaces.logging import configure_logging
from interfaces.settings import Settings
from projections.queries import claim_batches as queries

app = typer.Typer(help="Claims: batch submission, patient money, write-offs.",
                  no_args_is_help=True)
console = Console(stderr=True)
WRITE_OFF_CODES = WriteOffCode.__args__  # type: ignore[attr-defined]

Tenant = typer.Option(..., "--tenant", help="the tenant whose claims these are")


@contextmanager
def _office(tenant: str) -> Iterator[Aries]:
    """Aries, acting in `tenant` as the billing office; a rule's refusal exits 1."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    aries = bootstrap(settings)
    try:
        with bound_context(EventContext(tenant_id=tenant, actor_id="cli:claims",
                                        actor_role="biller")):
            yield aries
    except DomainError as refused:
        console.print(f"refused: {getattr(refused, 'rule', type(refused).__name__)}: {refused}")
        raise typer.Exit(1) from None
    finally:
        aries.close()


def _money(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter("an amount such as 36.00") from None


def _run(tenant: str, command: Callable[[Aries], Any]) -> None:
    with _office(tenant) as aries:
        result = command(aries)
    console.print(f"claim {result.id} now at version {result.version}")


@app.command("submit-batch")
def submit_batch(
    tenant: str = Tenant,
    payer: str | None = typer.Option(None, "--payer", help="every scrubbed claim of this payer"),
    work_queue: bool = typer.Option(False, "--work-queue", help="every claim the work queue "
                                    "holds to submit"),
) -> None:
    """Scrub and request submission of many claims; the workers send the 837P batches."""
    if (payer is None) == (not work_queue):
        raise typer.BadParameter("give either --payer or --work-queue")
    with _office(tenant) as aries:
        with aries.read_engine.connect() as conn:
            if payer is not None:
                claim_ids = queries.scrubbed_claims_of_payer(conn, tenant, payer)
            else:
                claim_ids = queries.claims_to_submit(conn, tenant)
        with Progress(TextColumn("submitting claims"), BarColumn(), MofNCompleteColumn(),
                      console=console) as progress:
            task = progress.add_task("claims", total=len(claim_ids))
            result = submit_claims(
                aries.claims, claim_ids,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    console.print(f"{len(result['requested'])} claims requested for submission, "
                  f"{len(result['refused'])} refused")
    for claim_id, rule in result["refused"].items():
        console.print(f"  claim {claim_id} refused: {rule}")


@app.command("status-check")
def status_check(
    tenant: str = Tenant,
    older_than: int = typer.Option(
        30, "--older-than", min=0, help="claims submitted at least this many days ago"
    ),
) -> None:
    """Ask the payer the status (276/277) of every claim submitted more than `--older-than`
    days ago and not yet adjudicated; denials and rejections land in the work queue."""
    with _office(tenant) as aries:
        inquiries = inquiry_service_from(aries)
        before = aries.claims.clock.now() - timedelta(days=older_than)
        with aries.read_engine.connect() as conn:
            claim_ids = queries.claims_awaiting_payment(conn, tenant, before)
        answers: Counter[str] = Counter()
        failed: dict[UUID, str] = {}
        with Progress(TextColumn("asking claim status"), BarColumn(), MofNCompleteColumn(),
                      console=console) as progress:
            for claim_id in progress.track(claim_ids, description="claims"):
                try:
                    answers[inquiries.request_claim_status(claim_id).category] += 1
                except (DomainError, InquiryUnanswered, TransientFailure) as failure:
                    failed[claim_id] = getattr(failure, "rule", type(failure).__name__)
    console.print(f"{sum(answers.values())} claims answered: " + (
        ", ".join(f"{n} {category}" for category, n in sorted(answers.items())) or "none"))
    for claim_id, why in failed.items():
        console.print(f"  claim {claim_id} not answered: {why}")


@app.command("patient-payment")
def patient_payment(
    claim_id: UUID,
    tenant: str = Tenant,
    amount: str = typer.Option(..., "--amount", help="e.g. 36.00"),
    reference: str = typer.Option(..., "--reference", help="check number, receipt"),
) -> None:
    """Record a payment from the patient on a claim."""
    _run(tenant, lambda aries: lifecycle.record_patient_payment(
        aries.claims, claim_id, amount=_money(amount), reference=reference))


@app.command("patient-refund")
def patient_refund(
    claim_id: UUID,
    tenant: str = Tenant,
    amount: str = typer.Option(..., "--amount", help="e.g. 36.00"),
    reference: str = typer.Option(..., "--reference", help="refund check number"),
) -> None:
    """Record a refund of the patient's credit on a claim."""
    _run(tenant, lambda aries: lifecycle.refund_patient(
        aries.claims, claim_id, amount=_money(amount), reference=reference))


@app.command("write-off")
def write_off(
    claim_id: UUID,
    tenant: str = Tenant,
    code: str = typer.Option(..., "--code", help=", ".join(WRITE_OFF_CODES)),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Write off a filed claim's remaining balance, with a reason code."""
    if code not in WRITE_OFF_CODES:
        raise typer.BadParameter(f"one of {', '.join(WRITE_OFF_CODES)}")
    reason = code if note is None else f"{code}: {note}"
    _run(tenant, lambda aries: lifecycle.write_off(aries.claims, claim_id, reason=reason))


@app.command("close")
def close(claim_id: UUID, tenant: str = Tenant) -> None:
    """Close a claim at zero balance."""
    _run(tenant, lambda aries: lifecycle.close_claim(aries.claims, claim_id))

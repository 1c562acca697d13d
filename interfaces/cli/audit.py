"""`aries audit ...`: verify the hash chains, sign checkpoints, export and check bundles.

Exit codes: 0 when everything holds, 1 when a check fails (a broken link, a bad bundle),
2 when Aries cannot run the command (no database, no key).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from interfaces.logging import configure_logging
from interfaces.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from application.audit.checkpoints import Checkpoint

app = typer.Typer(
    help="Audit: verify the hash chains, sign checkpoints, export and verify bundles.",
    no_args_is_help=True,
)
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, json=settings.json_logs)
    return settings


def _key(settings: Settings) -> bytes | None:
    secret = settings.audit_hmac_key
    return secret.get_secret_value().encode() if secret is not None else None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    # typer parses without a zone: a time given without one is read as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@app.command("verify")
def verify_command() -> None:
    """Recompute every hash chain and seal, check the latest checkpoints (and the witness's,
    with ARIES_AUDIT_WITNESS_DIR); report the first break."""
    from application.audit.chain import verify_all
    from application.audit.checkpoints import check_checkpoints
    from application.audit.witness import check_witness
    from interfaces.bootstrap import bootstrap

    settings = _settings()
    aries = bootstrap(settings)
    try:
        with _progress() as progress:
            tasks: dict[str, int] = {}

            def report(chain: str, done: int, total: int) -> None:
                if chain not in tasks:
                    tasks[chain] = progress.add_task(chain, total=total)
                progress.update(tasks[chain], completed=done, total=total)

            reports = verify_all(aries.read_engine, report, aries.seal_key)
        checks = check_checkpoints(aries.read_engine, _key(settings))
        witnessed = (
            [] if settings.audit_witness_dir is None
            else check_witness(aries.read_engine, settings.audit_witness_dir, _key(settings))
        )
    finally:
        aries.close()
    table = Table(title="Hash chains")
    for column in ("chain", "entries", "head", "result"):
        table.add_column(column)
    for r in reports:
        b = r.first_break
        result = (
            "[green]intact[/]" if b is None
            else f"[red]broken at seq {b.seq}, position {b.position}: {b.reason}[/]"
        )
        table.add_row(r.chain, f"{r.entries:,}", r.head_hash.hex()[:16], result)
    Console().print(table)
    signed = {None: "signature not checked (no key)", True: "signed", False: "BAD SIGNATURE"}
    for source, check in [("checkpoint", c) for c in checks] + [
        ("witnessed checkpoint", c) for c in witnessed
    ]:
        c = check.checkpoint
        style = "green" if check.ok else "red"
        where = "in chain" if check.in_chain else "NOT IN CHAIN"
        console.print(
            f"[{style}]{source} {c.chain} seq {c.seq}: {where}, "
            f"{signed[check.signature_valid]}[/]"
        )
    if any(not r.ok for r in reports) or any(not c.ok for c in checks + witnessed):
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign every chain's head and Merkle root with ARIES_AUDIT_HMAC_KEY and store it; append
    them to ARIES_AUDIT_WITNESS_DIR when set; print them (one JSON object per line: keep them
    somewhere the database's administrators cannot write)."""
    from application.audit.checkpoints import create_checkpoints
    from application.audit.witness import publish
    from interfaces.bootstrap import bootstrap

    settings = _settings()
    key = _key(settings)
    if key is None:
        console.print("[bold red]aries:[/] set ARIES_AUDIT_HMAC_KEY to sign checkpoints")
        raise typer.Exit(2)
    aries = bootstrap(settings)
    try:
        made = create_checkpoints(aries.read_engine, key)
    finally:
        aries.close()
    if settings.audit_witness_dir is not None:
        publish(settings.audit_witness_dir, made)
    for checkpoint in made:
        typer.echo(json.dumps(checkpoint.as_json(), sort_keys=True))


@app.command("prove")
def prove_command(
    chain: str = typer.Argument(..., help="patients_events, orders_events, ..., or access_log"),
    seq: int = typer.Argument(..., min=1, help="the entry's sequence number in its chain"),
    out: Path = typer.Option(..., "--out", help="proof file to write (JSON)"),
    checkpoint_id: int | None = typer.Option(
        None, "--checkpoint", help="checkpoint id to prove against (default: the chain's newest)"
    ),
) -> None:
    """Write an O(log n) inclusion proof of one entry against a signed checkpoint; check it
    offline with `aries audit verify-proof`."""
    from application.audit.proofs import prove_inclusion

    def make(engine: Engine) -> dict[str, Any]:
        return prove_inclusion(engine, _checkpoint(engine, chain, checkpoint_id), seq)

    _write_proof(make, out)


@app.command("prove-consistency")
def prove_consistency_command(
    old_id: int = typer.Argument(..., help="the older checkpoint's id"),
    new_id: int = typer.Argument(..., help="the newer checkpoint's id"),
    out: Path = typer.Option(..., "--out", help="proof file to write (JSON)"),
) -> None:
    """Write the consistency proof between two checkpoints of one chain (nothing the older
    one covered was rewritten); check it offline with `aries audit verify-proof`."""
    from application.audit.checkpoints import checkpoint_by_id
    from application.audit.proofs import ProofError, prove_consistency

    def make(engine: Engine) -> dict[str, Any]:
        old, new = (checkpoint_by_id(engine, i) for i in (old_id, new_id))
        if old is None or new is None:
            raise ProofError("no such checkpoint")
        return prove_consistency(engine, old, new)

    _write_proof(make, out)


def _write_proof(make: Callable[[Engine], dict[str, Any]], out: Path) -> None:
    """Make a proof document on the database and write it; exit 2 if it cannot be made."""
    from application.audit.proofs import ProofError
    from interfaces.bootstrap import bootstrap

    aries = bootstrap(_settings())
    try:
        document = make(aries.read_engine)
    except ProofError as error:
        console.print(f"[bold red]aries:[/] {error}")
        raise typer.Exit(2) from None
    finally:
        aries.close()
    out.write_text(json.dumps(document, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    console.print(f"[bold green]wrote {out}[/]: {len(document['path'])} hashes")


@app.command("verify-proof")
def verify_proof_command(
    proof: Path = typer.Argument(..., exists=True, dir_okay=False, help="proof file"),
    held: list[Path] = typer.Option(
        [], "--checkpoints", exists=True, dir_okay=False,
        help="checkpoints you hold (a witness file, or `aries audit checkpoint` output): the "
        "proof must rest on one of them",
    ),
) -> None:
    """Check an inclusion or consistency proof offline: no database, only the checkpoint
    (its signature too when ARIES_AUDIT_HMAC_KEY is set)."""
    from application.audit.proofs import verify_proof
    from application.audit.witness import read_witness

    key = _key(Settings())
    try:
        document = json.loads(proof.read_text(encoding="utf-8"))
        checkpoints = [c for path in held for c in read_witness(path)]
    except (ValueError, KeyError, TypeError) as error:
        console.print(f"[bold red]{proof} does NOT verify[/]: unreadable ({type(error).__name__})")
        raise typer.Exit(1) from None
    problems = verify_proof(document, checkpoints, key) if isinstance(document, dict) else [
        "the proof is not a JSON object"
    ]
    for problem in problems:
        console.print(f"[red]- {problem}[/]")
    if problems:
        console.print(f"[bold red]{proof} does NOT verify[/]")
        raise typer.Exit(1)
    signed = "checkpoint signature checked" if key else "checkpoint signature not checked"
    console.print(f"[bold green]{proof} verifies[/] ({document['format']}; {signed})")


def _checkpoint(engine: Engine, chain: str, checkpoint_id: int | None) -> Checkpoint:
    from application.audit.checkpoints import checkpoint_by_id, latest_checkpoints
    from application.audit.proofs import ProofError

    found = (
        latest_checkpoints(engine).get(chain) if checkpoint_id is None
        else checkpoint_by_id(engine, checkpoint_id)
    )
    if found is None or found.chain != chain:
        raise ProofError(f"no checkpoint of {chain}: run `aries audit checkpoint` first")
    return found


@app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", help="bundle file to write (a ZIP)"),
    patient: UUID | None = typer.Option(None, "--patient", help="export this patient's record"),
    start: datetime | None = typer.Option(None, "--from", help="recorded at or after (UTC)"),
    end: datetime | None = typer.Option(None, "--to", help="recorded before (UTC)"),
    recipient: str | None = typer.Option(None, help="who receives it (accounting of disclosures)"),
    purpose: str | None = typer.Option(None, help="why it is disclosed"),
) -> None:
    """Write a self-verifying bundle of one patient's record (their events, orders and claims,
    and the access entries naming them), or of a recorded-time range."""
    from application.audit.access_log import EXPORT, AccessRecord, record
    from application.audit.export import export_bundle
    from interfaces.bootstrap import bootstrap
    from projections.queries.patient_records import patient_aggregates

    if (patient is None) == (start is None and end is None):
        console.print("[bold red]aries:[/] give --patient, or --from and/or --to")
        raise typer.Exit(2)
    settings = _settings()
    aries = bootstrap(settings)
    try:
        with _progress() as progress:
            tasks: dict[str, int] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            if patient is not None:
                # The patient's record is also their orders and claims (they hold diagnoses).
                with aries.read_engine.connect() as conn:
                    aggregates = patient_aggregates(conn, patient)
            summary = export_bundle(
                aries.read_engine,
                aries.recorded_times,
                aries.applications,
                out,
                patient_id=patient,
                aggregates=aggregates if patient is not None else None,
                start=_utc(start),
                end=_utc(end),
                progress=report,
            )
        record(
            aries.read_engine,
            AccessRecord(
                tenant_id="system",
                actor_id=f"cli:{getpass.getuser()}",
                actor_role="operator",
                action=EXPORT,
                operation="audit_export",
                patient_ids=sorted(summary.patient_ids, key=str),
                fields_class="full_record",
                recipient=recipient,
                purpose=purpose,
            ),
            aries.seal_key,
        )
    finally:
        aries.close()
    console.print(
        f"[bold green]wrote {out}[/]: {summary.events:,} events, "
        f"{summary.access_entries:,} access entries (sha256 {summary.sha256})"
    )


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Path = typer.Argument(..., exists=True, dir_okay=False, help="bundle to check"),
) -> None:
    """Check a bundle offline (no database): hashes, digests, chain proof, checkpoints (their
    signatures too when ARIES_AUDIT_HMAC_KEY is set)."""
    from application.audit.export import verify_bundle

    report = verify_bundle(bundle, _key(_settings()))
    for problem in report.problems:
        console.print(f"[red]- {problem}[/]")
    if not report.ok:
        console.print(f"[bold red]{bundle} does NOT verify[/]")
        raise typer.Exit(1)
    signed = {
        None: "checkpoint signatures not checked", True: "checkpoints signed", False: "",
    }[report.checkpoints_signed]
    console.print(
        f"[bold green]{bundle} verifies[/]: {report.events:,} events, "
        f"{report.access_entries:,} access entries, chains {', '.join(report.chains) or '-'}; "
        f"{signed}"
    )

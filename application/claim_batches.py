"""Batch actions of the billing office: request the submission of many claims at once, each
claim on its own (a claim a rule refuses is reported and the others go on)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from application.claims import ClaimApplication
from domain.errors import DomainError


def submit_claims(
    claims: ClaimApplication,
    claim_ids: Sequence[UUID],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Scrub and request submission of each claim (`ClaimApplication.submit`); the claims
    process's reaction then sends them in 837P batches. Answers the submissions requested
    (claim and submission number) and the claims refused, by rule. A claim already requested
    (a redelivered batch) is refused by `claim_is_submitted_once_scrubbed` and not sent twice."""
    requested: list[dict[str, Any]] = []
    refused: dict[str, str] = {}
    for done, claim_id in enumerate(claim_ids, start=1):
        try:
            result = claims.submit(claim_id)
        except DomainError as error:
            refused[str(claim_id)] = getattr(error, "rule", type(error).__name__)
        else:
            requested.append(
                {"claim_id": str(claim_id), "submission_number": result.submission_number}
            )
        if progress is not None:
            progress(done, len(claim_ids))
    return {"requested": requested, "refused": refused}

"""What a claim owes and to whom, folded from its ledger when asked (no stored balance): the
Claim's read-only properties, kept apart from its commands and events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import claim_adjudication as adjudication
from domain import claim_ledger as ledger
from domain.claim_values import ClaimLine, LedgerEntry, LineAdjudication
from domain.money import ZERO


class ClaimBalances:
    """Folds of the Claim's `ledger`, `lines` and `adjudications` (set by its events)."""

    ledger: tuple[LedgerEntry, ...]
    lines: tuple[ClaimLine, ...]
    adjudications: tuple[tuple[str, date, tuple[LineAdjudication, ...]], ...]

    @property
    def balance(self) -> Decimal:
        return ledger.ledger_balance(self.ledger)

    @property
    def line_balances(self) -> dict[UUID, Decimal]:
        return {i: ledger.ledger_balance(self.ledger, line_id=i) for i in self._ids}

    @property
    def line_payers(self) -> dict[UUID, str | None]:
        return {line_id: ledger.current_party(self.ledger, line_id) for line_id in self._ids}

    def payer_line_outcomes(self, payer_id: str) -> dict[UUID, adjudication.LineOutcome]:
        """What `payer_id` actually paid and adjusted on each line, net of reversals."""
        return adjudication.payer_line_outcomes(self.adjudications, payer_id)

    def party_balance(self, party: str) -> Decimal:
        return ledger.ledger_balance(self.ledger, party=party)

    @property
    def charge_total(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    @property
    def _ids(self) -> list[UUID]:
        return [line.line_id for line in self.lines]

"""Which of the tenant's payers sent an 835: its payer records first, then the packaged list.

An 835 names its payer twice: the payer identification of loop 1000A (N1*PR N104 with an XV or
PI qualifier, or REF*2U; `ParsedRemittance.payer_x12_id`) and the reassociation trace's
originating company (TRN03: a "1" and the payer's federal tax id, ASC X12 005010X221A1 TRN
segment). A tenant's own payer record (decision 017) answers first, so an 835 from a payer that
exists only as the tenant's record (no row in the packaged payers.csv) posts to it: a record
matches when its X12 payer id (what the 837P sent the claim to, 2010BB NM109) or its payer id
equals the 1000A identification, else TRN03. Without a match among the records, the packaged
list's X12 ids decide, as before the records existed; with neither, the remittance has no payer
id and posting credits the payer billed now (`_plan_posting`).
"""

from __future__ import annotations

from application.setup import SetupApplication
from application.x12.remittance835 import ParsedRemittance
from domain.payer import Payer


def remittance_payer_id(
    setup: SetupApplication | None, tenant_id: str, parsed: ParsedRemittance
) -> str | None:
    """The payer id (the tenant's key, MCR-DMEB) of the payer that sent `parsed`, or None."""
    if setup is not None:
        records = setup.payers_of(tenant_id)
        for sent in (parsed.payer_x12_id, parsed.payer_identifier):
            found = _record_for(records, sent)
            if found is not None:
                return found.details.payer_id
    return parsed.payer_id


def _record_for(records: list[Payer], sent: str | None) -> Payer | None:
    if not sent or not sent.strip():
        return None
    key = sent.strip().upper()
    by_x12 = [p for p in records if p.details.x12_payer_id.strip().upper() == key]
    by_id = [p for p in records if p.details.payer_id.strip().upper() == key]
    # Routing ids are what payers send back; a payer id equal to it is the weaker guess.
    return (by_x12 or by_id or [None])[0]

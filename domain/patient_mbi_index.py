"""One MBI, one patient per tenant: the `MbiIndex` aggregate holds an MBI for the patient it
belongs to (pure; no I/O).

Its id is a keyed HMAC of (tenant, MBI) shaped as a UUID, so the stream name reveals nothing of
the MBI to whoever reads the event store without the key, and its events hold only the patient
id. Creating it in the same `save()` as the patient makes a second patient with the same MBI a
conflict in the event store, however concurrent the two registrations are. A corrected MBI
releases the old index, so the number can be given to its rightful patient later.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from eventsourcing.domain import event

from domain.base import AriesAggregate, pin_topics
from domain.errors import require

RULE = "mbi_is_unique_per_tenant"
TAKEN = "another patient already has this MBI"


def mbi_index_id(key: bytes, tenant_id: str, mbi: str) -> UUID:
    """The index id of `mbi` (normalised) in `tenant_id` under `key`: HMAC-SHA256, as a UUID."""
    if len(key) < 16:
        raise ValueError("the MBI index key needs at least 16 bytes")
    digest = hmac.new(key, f"{tenant_id}\x1f{mbi}".encode(), hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)


class MbiIndex(AriesAggregate):
    """Which patient of the tenant holds the MBI this index stands for (None: released)."""

    class Reserved(AriesAggregate.Created):
        patient_id: UUID

    @event(Reserved)
    def __init__(self, patient_id: UUID) -> None:
        self.patient_id: UUID | None = patient_id

    @classmethod
    def reserve(cls, index_id: UUID, patient_id: UUID) -> MbiIndex:
        return cls._create(cls.Reserved, id=index_id, patient_id=patient_id)

    def reserve_again(self, patient_id: UUID) -> None:
        """A released MBI is given to `patient_id`; one held by another patient is refused."""
        require(
            self.patient_id is None or self.patient_id == patient_id,
            RULE,
            TAKEN,
        )
        if self.patient_id is None:
            self._reassigned(patient_id)

    @event("Reassigned")
    def _reassigned(self, patient_id: UUID) -> None:
        self.patient_id = patient_id

    def release(self, patient_id: UUID) -> None:
        """The holder's MBI was corrected to another one; a no-op for anyone else."""
        if self.patient_id == patient_id:
            self._released()

    @event("Released")
    def _released(self) -> None:
        self.patient_id = None


pin_topics(MbiIndex, "aries.patient_mbi_index")

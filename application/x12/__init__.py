"""ANSI X12 005010 for claims: the 837P writer, the readers (and sandbox writers) of the TA1,
999 and 277CA answers, the 835 remittance reader, the real-time inquiries (270/271
eligibility, 276/277 claim status: `eligibility`, `claim_status`), and validation with pyx12
(with the 5010 maps of `pyx12_maps/`). Pure: no I/O, no settings (validation writes pyx12's map
folder once, to a temporary directory)."""

from application.x12.acknowledgements import Answer, read_answer
from application.x12.claim837 import ClaimDocument, Receiver, Submission, Supplier, render_837p
from application.x12.envelope import Envelope

__all__ = [
    "Answer",
    "ClaimDocument",
    "Envelope",
    "Receiver",
    "Submission",
    "Supplier",
    "read_answer",
    "render_837p",
]

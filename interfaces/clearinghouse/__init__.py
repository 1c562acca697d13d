"""Clearinghouse adapters (sandbox, HTTP), the supplier identity and the submission service,
built from settings. The application never reads settings: this is where they become values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.inquiries import InquiryService
from application.ports import Clearinghouse, Clock
from application.submission import SubmissionService
from application.x12.claim837 import PostalAddress, Receiver, Supplier
from domain.npi import valid_npi
from interfaces.clearinghouse.control_numbers import RedisControlNumbers
from interfaces.clearinghouse.http import HttpClearinghouse
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from interfaces.clearinghouse.sandbox_checks import shared_processes
from interfaces.settings import Settings
from projections.decoding import EventDecoder

if TYPE_CHECKING:
    from interfaces.bootstrap import Aries

__all__ = [
    "HttpClearinghouse",
    "SandboxClearinghouse",
    "clearinghouse_from",
    "inquiry_service_from",
    "receiver_from",
    "submission_service_from",
    "supplier_from",
]


def clearinghouse_from(settings: Settings, clock: Clock | None = None) -> Clearinghouse:
    """The sandbox (default) or the HTTP adapter, as `ARIES_CLEARINGHOUSE` says."""
    if settings.clearinghouse == "http":
        if not settings.clearinghouse_url:
            raise ValueError("ARIES_CLEARINGHOUSE=http needs ARIES_CLEARINGHOUSE_URL")
        return HttpClearinghouse(settings.clearinghouse_url,
                                 settings.clearinghouse_timeout_seconds)
    return SandboxClearinghouse(
        clock,
        clearinghouse_id=settings.clearinghouse_id,
        clearinghouse_name=settings.clearinghouse_name,
        syntax_check=settings.sandbox_syntax_check,
        processes=shared_processes(settings.sandbox_check_processes),
    )


def supplier_from(settings: Settings) -> Supplier:
    """The billing provider; a supplier NPI failing the Luhn check is refused here, at start."""
    return Supplier(
        name=settings.supplier_name,
        npi=valid_npi(settings.supplier_npi),
        tax_id=settings.supplier_tax_id,
        address=PostalAddress(settings.supplier_address, None, settings.supplier_city,
                              settings.supplier_state, settings.supplier_postal_code),
        contact_name=settings.supplier_contact,
        phone=settings.supplier_phone,
        submitter_id=settings.supplier_submitter_id,
    )


def receiver_from(settings: Settings) -> Receiver:
    return Receiver(name=settings.clearinghouse_name, receiver_id=settings.clearinghouse_id)


def submission_service_from(
    aries: Aries, clearinghouse: Clearinghouse | None = None
) -> SubmissionService:
    """The submission service on `aries`, with the configured clearinghouse (or the one
    given), the supplier and receiver from settings, control numbers from Redis; its batch
    loads decode events as the projections do (typed, msgspec)."""
    return SubmissionService(
        aries.claims,
        aries.orders,
        aries.patients,
        **_exchange(aries, clearinghouse),
        event_decoder=EventDecoder,
    )


def inquiry_service_from(
    aries: Aries, clearinghouse: Clearinghouse | None = None
) -> InquiryService:
    """Eligibility and claim status inquiries on `aries`, through the configured
    clearinghouse (or the one given)."""
    return InquiryService(aries.patients, aries.claims, **_exchange(aries, clearinghouse))


def _exchange(aries: Aries, clearinghouse: Clearinghouse | None) -> dict[str, Any]:
    """What every service that sends X12 to the clearinghouse is built with."""
    settings = aries.settings
    clock = aries.claims.clock
    return {
        "clearinghouse": clearinghouse or clearinghouse_from(settings, clock),
        "clock": clock,
        "supplier": supplier_from(settings),
        "receiver": receiver_from(settings),
        "control_numbers": RedisControlNumbers(aries.redis, settings.redis_key_prefix, clock),
        "usage": settings.x12_usage,
    }

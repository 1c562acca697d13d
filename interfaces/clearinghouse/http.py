"""The HTTP clearinghouse adapter: POSTs each 837P interchange to `ARIES_CLEARINGHOUSE_URL`
(body: the X12 text, `Content-Type: application/edi-x12`) and reads the answer body as X12
(a TA1 or 999, and a 277CA when the clearinghouse has one ready).

- A timeout, a refused connection, a 429 or a 5xx raise `ClearinghouseUnavailable` (transient:
  the worker retries with backoff).
- Any other non-2xx is `ClearinghouseRefused` (permanent: a human must look).
- A 2xx whose body is not a TA1/999/277CA raises `MalformedAnswer`: the interchange was
  delivered, so the claims count as submitted and wait for their acknowledgement.

What became of an interchange sent earlier (`look_up`): `GET <url>/<ISA13>`.
- 200 with X12: received, and these are its acknowledgements; 200 empty or 202: received,
  no acknowledgement yet; 404: no record of that control number (never received).
- A timeout, a refused connection, a 429 or a 5xx (but 501): `ClearinghouseUnavailable`.
- Anything else (405/501: no status service; 200 that is not X12):
  `TransmissionStatusUnknown`, for a person to find out.
Real-time inquiries (`inquire`: a 270 or 276, answered with a 271 or 277, or a 999 refusing
it): `POST <url>/real-time` with the X12 body, the way clearinghouses keep their real-time
service apart from batch files (CAQH CORE connectivity carries the same payload). The same
failures as a transmission: unavailable, refused, or an answer that is not X12.
Neither the interchange nor the answer is logged: both carry PHI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import structlog

from application.ports import (
    ClearinghouseRefused,
    ClearinghouseUnavailable,
    MalformedAnswer,
    TransmissionRecord,
    TransmissionStatusUnknown,
)
from application.x12.acknowledgements import read_answer
from application.x12.segments import X12SyntaxError, interchanges

log = structlog.get_logger("aries.clearinghouse")


class HttpClearinghouse:
    name = "http"

    def __init__(self, url: str, timeout_seconds: float = 30.0,
                 client: httpx.Client | None = None) -> None:
        self.url = url
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0))
        )

    def transmit(self, interchange: str) -> str:
        response = self._call(
            "POST", self.url, content=interchange.encode("ascii"),
            headers={"Content-Type": "application/edi-x12", "Accept": "application/edi-x12"},
        )
        return _x12_answer(response, "transmission", read_answer)

    def inquire(self, inquiry: str) -> str:
        response = self._call(
            "POST", f"{self.url.rstrip('/')}/real-time", content=inquiry.encode("ascii"),
            headers={"Content-Type": "application/edi-x12", "Accept": "application/edi-x12"},
        )
        return _x12_answer(response, "inquiry", interchanges)

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        response = self._call(
            "GET", f"{self.url.rstrip('/')}/{interchange_control_number}",
            headers={"Accept": "application/edi-x12"},
            unavailable=lambda status: status != 501,
        )
        status = response.status_code
        if status == 404:
            return TransmissionRecord(received=False)
        if status == 202 or (status == 200 and not response.text.strip()):
            return TransmissionRecord(received=True)
        if status != 200:
            log.error("clearinghouse cannot tell what became of an interchange", status=status)
            raise TransmissionStatusUnknown(f"the clearinghouse's status query answered {status}")
        try:
            read_answer(response.text)
        except X12SyntaxError as unreadable:
            log.error("clearinghouse status answer unreadable", length=len(response.text))
            raise TransmissionStatusUnknown(
                "the clearinghouse's status answer is not X12") from unreadable
        return TransmissionRecord(received=True, answer=response.text)

    def _call(
        self, method: str, url: str, *, unavailable: Callable[[int], bool] = lambda _: True,
        **request: Any,
    ) -> httpx.Response:
        """The response; ClearinghouseUnavailable on a timeout, no connection, a 429 or a 5xx
        that `unavailable` counts as such."""
        try:
            response = self.client.request(method, url, **request)
        except httpx.TimeoutException as timed_out:
            log.warning("clearinghouse timed out")
            raise ClearinghouseUnavailable("no answer in time") from timed_out
        except httpx.TransportError as failed:
            log.warning("clearinghouse unreachable", error=type(failed).__name__)
            raise ClearinghouseUnavailable("the clearinghouse is unreachable") from failed
        status = response.status_code
        if (status == 429 or status >= 500) and unavailable(status):
            log.warning("clearinghouse unavailable", status=status)
            raise ClearinghouseUnavailable(f"the clearinghouse answered {status}")
        return response

    def close(self) -> None:
        self.client.close()


def _x12_answer(response: httpx.Response, what: str, read: Callable[[str], Any]) -> str:
    """The body of a 2xx answer that `read` takes as X12: ClearinghouseRefused for any other
    status, MalformedAnswer for a body that is not X12."""
    status = response.status_code
    if not 200 <= status < 300:
        log.error(f"clearinghouse refused the {what}", status=status)
        raise ClearinghouseRefused(f"the clearinghouse answered {status}")
    try:
        read(response.text)
    except X12SyntaxError as unreadable:
        log.error(f"clearinghouse {what} answer unreadable", length=len(response.text))
        raise MalformedAnswer("the clearinghouse's answer is not X12") from unreadable
    return response.text

"""The HTTP protocol `aries serve` runs: uvicorn's httptools protocol with a deadline for a
request's headers. Uvicorn times out idle keep-alive connections but not a client that sends
its headers a byte at a time (slowloris): one such client per connection slot would hold the
server. The deadline (`settings.http_header_timeout_seconds`) runs from the connection, or from
a kept-alive request's first byte, to the end of its headers."""

from __future__ import annotations

import asyncio
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from interfaces.settings import Settings


@cache
def header_timeout_seconds() -> float:
    # Read once per process: uvicorn builds a protocol per connection, and its worker
    # processes import this module afresh.
    return Settings().http_header_timeout_seconds


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Closes a connection whose request headers did not arrive within the deadline."""

    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._cancel_header_deadline()
        super().on_headers_complete()

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                header_timeout_seconds(), self._headers_too_slow
            )

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

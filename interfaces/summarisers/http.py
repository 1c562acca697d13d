"""What the external summary providers share: one httpx client, timeouts, retries with
exponential backoff, and the line between transient and permanent failures.

- a timeout, a connection error, a 429 or a 5xx is retried `retries` times, then raised as
  `ProviderUnavailable` (a TransientFailure: the worker retries the job later);
- any other 4xx (a bad key, an unknown model) is `ProviderRefused`, and an answer that is not
  the provider's JSON shape, or holds no text, is `ProviderAnswerMalformed`: both permanent,
  since asking again would get the same answer.

Logs name the provider, the status and the attempt, never the prompt or the answer (PHI).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import structlog

from application.ports import GeneratedSummary, SummaryRequest, TransientFailure

log = structlog.get_logger("aries.summarisers")

MAX_OUTPUT_TOKENS = 1024


class ProviderUnavailable(TransientFailure):
    """The provider timed out or failed (5xx, 429) on every attempt."""


class ProviderRefused(Exception):
    """The provider refused the request (4xx other than 429): fix the configuration."""


class ProviderAnswerMalformed(Exception):
    """The provider answered 2xx with something that is not a summary."""


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class HttpSummariser:
    """Base of the Ollama, OpenAI and Anthropic adapters: subclasses say where to post, what
    to send and how to read the answer."""

    name = "http"
    path = "/"

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        timeout: float,
        retries: int = 2,
        backoff_seconds: float = 0.5,
    ) -> None:
        if not model or not model.strip():
            raise ValueError(f"{self.name} needs a model name (ARIES_SUMMARY_MODEL)")
        self.model = model.strip()
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    # -- for subclasses

    def headers(self) -> dict[str, str]:
        return {}

    def payload(self, request: SummaryRequest) -> dict[str, Any]:
        raise NotImplementedError

    def read(self, answer: Any) -> tuple[str, str | None]:
        """(text, model) from the decoded JSON; KeyError/TypeError/IndexError if malformed."""
        raise NotImplementedError

    # -- the call

    def summarise(self, request: SummaryRequest) -> GeneratedSummary:
        answer = self._post(self.payload(request))
        try:
            text, model = self.read(answer)
        except (KeyError, TypeError, IndexError, AttributeError):
            raise ProviderAnswerMalformed(f"{self.name}: the answer has no summary text") from None
        if not isinstance(text, str) or not text.strip():
            raise ProviderAnswerMalformed(f"{self.name}: the summary text is empty")
        answered_model = model if isinstance(model, str) and model.strip() else self.model
        return GeneratedSummary(text=text.strip(), model=answered_model)

    def _post(self, payload: dict[str, Any]) -> Any:
        url = self.base_url + self.path
        failure = "no attempt made"
        for attempt in range(1, self.retries + 2):
            if attempt > 1:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 2))
            try:
                response = self._client.post(url, json=payload, headers=self.headers())
            except httpx.TimeoutException:
                failure = "timed out"
            except httpx.TransportError as error:
                failure = f"connection failed ({type(error).__name__})"
            else:
                if _retryable(response.status_code):
                    failure = f"answered {response.status_code}"
                elif response.status_code >= 400:
                    raise ProviderRefused(f"{self.name} answered {response.status_code}")
                else:
                    try:
                        return response.json()
                    except ValueError:
                        raise ProviderAnswerMalformed(
                            f"{self.name}: the answer is not JSON"
                        ) from None
            log.warning("summary provider failed", provider=self.name, attempt=attempt,
                        failure=failure)
        raise ProviderUnavailable(f"{self.name} {failure} after {self.retries + 1} attempts")

"""Each external summary provider against a local HTTP server that speaks its API, over real
sockets: success, timeout, 5xx (retried, then a transient failure), malformed answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from application.ports import NoteForSummary, SummaryRequest, TransientFailure
from interfaces.settings import Settings
from interfaces.summarisers import (
    LocalSummariser,
    ProviderAnswerMalformed,
    ProviderRefused,
    ProviderUnavailable,
    summary_provider_from,
)
from interfaces.summarisers.anthropic import AnthropicSummariser
from interfaces.summarisers.ollama import OllamaSummariser
from interfaces.summarisers.openai import OpenAISummariser

pytestmark = pytest.mark.integration

REQUEST = SummaryRequest(
    template_version="soap-summary/1",
    notes=(NoteForSummary(date(2025, 3, 1), "Uses CPAP nightly.", "AHI 3.1", "OSA", "Continue"),),
    instructions="Summarise the notes.",
    prompt="Note 1, written 2025-03-01\nSubjective:\nUses CPAP nightly.",
)


class FakeProvider:
    """An HTTP server on 127.0.0.1 answering each POST with the next scripted reply.

    A reply is (status, body) or ("sleep", seconds) to answer too late; the last one repeats.
    """

    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers),
                     "json": json.loads(self.rfile.read(length) or b"null")}
                )
                reply = fake.replies[min(len(fake.requests), len(fake.replies)) - 1]
                if reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = (200, {})
                status, body = reply
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[list[Any]], FakeProvider]]:
    started: list[FakeProvider] = []

    def start(replies: list[Any]) -> FakeProvider:
        fake = FakeProvider(replies)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def ollama_answer(text: str) -> dict[str, Any]:
    return {"model": "llama3.1:8b", "created_at": "2025-03-01T12:00:00Z",
            "message": {"role": "assistant", "content": text}, "done": True}


def openai_answer(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}]}


def anthropic_answer(text: str) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-3-5-sonnet-20241022", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": text}]}


PROVIDERS = {
    "ollama": (lambda url, **kw: OllamaSummariser(model="llama3.1", base_url=url, **kw),
               ollama_answer, "/api/chat", "llama3.1:8b"),
    "openai": (lambda url, **kw: OpenAISummariser(api_key="sk-test", model="gpt-4o",
                                                  base_url=url + "/v1", **kw),
               openai_answer, "/v1/chat/completions", "gpt-4o-2024-08-06"),
    "anthropic": (lambda url, **kw: AnthropicSummariser(api_key="ak-test", model="claude",
                                                        base_url=url, **kw),
                  anthropic_answer, "/v1/messages", "claude-3-5-sonnet-20241022"),
}
MALFORMED = {
    "ollama": {"done": True},
    "openai": {"choices": []},
    "anthropic": {"content": [{"type": "tool_use", "id": "x"}]},
}


def make(name: str, url: str, **kwargs: Any):
    build = PROVIDERS[name][0]
    return build(url, timeout=kwargs.pop("timeout", 5.0), backoff_seconds=0, **kwargs)


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_provider_answers_the_summary_text_and_the_model_that_wrote_it(serve, name):
    _, answer, path, model = PROVIDERS[name]
    fake = serve([(200, answer("  Subjective: uses CPAP nightly.  "))])
    summary = make(name, fake.url).summarise(REQUEST)
    assert summary.text == "Subjective: uses CPAP nightly."
    assert summary.model == model
    (sent,) = fake.requests
    assert sent["path"] == path
    assert {REQUEST.prompt, REQUEST.instructions} <= set(_strings(sent["json"]))


def test_each_provider_sends_its_credentials_as_its_api_expects(serve):
    fake = serve([(200, openai_answer("ok"))])
    make("openai", fake.url).summarise(REQUEST)
    assert fake.requests[0]["headers"]["Authorization"] == "Bearer sk-test"
    fake = serve([(200, anthropic_answer("ok"))])
    make("anthropic", fake.url).summarise(REQUEST)
    headers = fake.requests[0]["headers"]
    assert (headers["x-api-key"], headers["anthropic-version"]) == ("ak-test", "2023-06-01")
    assert fake.requests[0]["json"]["system"] == REQUEST.instructions


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_5xx_is_retried_and_a_later_success_is_used(serve, name):
    _, answer, _, _ = PROVIDERS[name]
    fake = serve([(503, {"error": "overloaded"}), (200, answer("Plan: continue."))])
    assert make(name, fake.url, retries=2).summarise(REQUEST).text == "Plan: continue."
    assert len(fake.requests) == 2


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_5xx_on_every_attempt_is_a_transient_failure(serve, name):
    fake = serve([(500, {"error": "boom"})])
    with pytest.raises(ProviderUnavailable) as failed:
        make(name, fake.url, retries=2).summarise(REQUEST)
    assert isinstance(failed.value, TransientFailure)
    assert len(fake.requests) == 3


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_provider_slower_than_the_timeout_is_a_transient_failure(serve, name):
    fake = serve([("sleep", 2.0)])
    with pytest.raises(ProviderUnavailable, match="timed out"):
        make(name, fake.url, timeout=0.2, retries=1).summarise(REQUEST)
    assert len(fake.requests) == 2


def test_an_unreachable_provider_is_a_transient_failure():
    provider = OllamaSummariser(model="m", base_url="http://127.0.0.1:9", timeout=1.0,
                                retries=0, backoff_seconds=0)
    with pytest.raises(ProviderUnavailable, match="connection failed"):
        provider.summarise(REQUEST)


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_malformed_answer_is_a_permanent_error(serve, name):
    fake = serve([(200, MALFORMED[name])])
    with pytest.raises(ProviderAnswerMalformed) as failed:
        make(name, fake.url).summarise(REQUEST)
    assert not isinstance(failed.value, TransientFailure)
    assert len(fake.requests) == 1  # asking again would get the same answer


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_answer_that_is_not_json_is_a_permanent_error(serve, name):
    fake = serve([(200, b"<html>proxy error</html>")])
    with pytest.raises(ProviderAnswerMalformed, match="not JSON"):
        make(name, fake.url).summarise(REQUEST)


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_empty_summary_is_a_permanent_error(serve, name):
    _, answer, _, _ = PROVIDERS[name]
    fake = serve([(200, answer("   "))])
    with pytest.raises(ProviderAnswerMalformed, match="empty"):
        make(name, fake.url).summarise(REQUEST)


def test_a_refused_request_is_permanent_and_not_retried(serve):
    fake = serve([(401, {"error": {"message": "invalid api key"}})])
    with pytest.raises(ProviderRefused, match="401"):
        make("openai", fake.url, retries=2).summarise(REQUEST)
    assert len(fake.requests) == 1


def test_settings_choose_the_provider(serve):
    fake = serve([(200, anthropic_answer("Assessment: stable."))])
    assert isinstance(summary_provider_from(Settings(environment="test")), LocalSummariser)
    provider = summary_provider_from(
        Settings(environment="test", summary_provider="anthropic", summary_model="claude",
                 anthropic_api_key=SecretStr("ak-test"), anthropic_base_url=fake.url)
    )
    assert provider.summarise(REQUEST).text == "Assessment: stable."


@pytest.mark.parametrize("name", ["ollama", "openai", "anthropic"])
def test_an_external_provider_without_a_model_is_a_configuration_error(name):
    with pytest.raises(ValueError, match="ARIES_SUMMARY_MODEL"):
        summary_provider_from(
            Settings(environment="test", summary_provider=name,
                     openai_api_key=SecretStr("k"), anthropic_api_key=SecretStr("k"))
        )

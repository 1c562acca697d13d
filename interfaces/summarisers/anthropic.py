"""Anthropic Messages API: POST {base}/v1/messages with `x-api-key` and `anthropic-version`."""

from __future__ import annotations

from typing import Any

from application.ports import SummaryRequest
from interfaces.summarisers.http import MAX_OUTPUT_TOKENS, HttpSummariser

API_VERSION = "2023-06-01"


class AnthropicSummariser(HttpSummariser):
    name = "anthropic"
    path = "/v1/messages"

    def __init__(self, *, api_key: str, **kwargs: Any) -> None:
        if not api_key:
            raise ValueError("anthropic needs ARIES_ANTHROPIC_API_KEY")
        self._api_key = api_key
        super().__init__(**kwargs)

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key, "anthropic-version": API_VERSION}

    def payload(self, request: SummaryRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": MAX_OUTPUT_TOKENS,
            "temperature": 0,
            "system": request.instructions,
            "messages": [{"role": "user", "content": request.prompt}],
        }

    def read(self, answer: Any) -> tuple[str, str | None]:
        texts = [block["text"] for block in answer["content"] if block.get("type") == "text"]
        return "".join(texts), answer.get("model")

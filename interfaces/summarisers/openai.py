"""OpenAI Chat Completions (or any server speaking it): POST {base}/chat/completions with a
bearer key. The base URL is a setting so that an OpenAI-compatible gateway can be used."""

from __future__ import annotations

from typing import Any

from application.ports import SummaryRequest
from interfaces.summarisers.http import MAX_OUTPUT_TOKENS, HttpSummariser


class OpenAISummariser(HttpSummariser):
    name = "openai"
    path = "/chat/completions"

    def __init__(self, *, api_key: str, **kwargs: Any) -> None:
        if not api_key:
            raise ValueError("openai needs ARIES_OPENAI_API_KEY")
        self._api_key = api_key
        super().__init__(**kwargs)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def payload(self, request: SummaryRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": 0,
            "max_tokens": MAX_OUTPUT_TOKENS,
            "messages": [
                {"role": "system", "content": request.instructions},
                {"role": "user", "content": request.prompt},
            ],
        }

    def read(self, answer: Any) -> tuple[str, str | None]:
        return answer["choices"][0]["message"]["content"], answer.get("model")

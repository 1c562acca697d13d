"""Ollama (a local or self-hosted model server): POST {ARIES_OLLAMA_URL}/api/chat, not
streamed, temperature 0 so that the same notes give the same summary where the model allows."""

from __future__ import annotations

from typing import Any

from application.ports import SummaryRequest
from interfaces.summarisers.http import MAX_OUTPUT_TOKENS, HttpSummariser


class OllamaSummariser(HttpSummariser):
    name = "ollama"
    path = "/api/chat"

    def payload(self, request: SummaryRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "stream": False,
            "options": {"temperature": 0, "num_predict": MAX_OUTPUT_TOKENS},
            "messages": [
                {"role": "system", "content": request.instructions},
                {"role": "user", "content": request.prompt},
            ],
        }

    def read(self, answer: Any) -> tuple[str, str | None]:
        return answer["message"]["content"], answer.get("model")

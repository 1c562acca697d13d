"""`Idempotency-Key` for every POST, in the gateway (interfaces/http/middleware.py): resource
routers get it without writing anything (draft-ietf-httpapi-idempotency-key-header).

For a POST that carries the header and valid credentials, the key is scoped to the caller
(tenant + principal + key + method + path) and the request is fingerprinted (path, query, body):
- first time: the key is claimed as "in flight" (SET NX, 60 s) and the request runs; a 2xx/3xx
  answer (status, body, Content-Type/ETag/Location) is stored for `idempotency_ttl_seconds`
  (24 h) before its last byte is sent;
- an error answer stores nothing and frees the key: in Aries an error means nothing was
  recorded, so the retry runs again (and may succeed);
- same key, same request, answered: the stored answer, with `Idempotent-Replayed: true`;
- same key, same request, still in flight: 409 with Retry-After;
- same key, another request (fingerprint differs): 422.
Without credentials the request passes untouched (the endpoint answers 401). If Redis is down
a keyed POST gets 503: running it without the guarantee the client asked for would be worse.

An endpoint whose answer carries a secret (a new API key) calls `redact_on_replay(request)`:
its replays answer only the command result's `{id, version, position}`, and the secret is
never written to Redis.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

import structlog
from fastapi import Request
from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.http.problems import ProblemError
from interfaces.http.security import authenticate

IN_FLIGHT_SECONDS = 60
MAX_STORED_BODY = 1_000_000
KEPT_HEADERS = (b"content-type", b"etag", b"location")
REPLAYED_FIELDS = ("id", "version", "position")
log = structlog.get_logger("aries.http.idempotency")

# Replace (or, with an empty value, delete) the record only while it is still our claim.
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


def redact_on_replay(request: Request) -> None:
    """Mark the answer as holding a secret: replays answer only `{id, version, position}`."""
    request.state.idempotency_redact = True


def _problem(
    status: int, title: str, detail: str, kind: str, headers: dict[str, str] | None = None
) -> ProblemError:
    return ProblemError(
        status, title, detail, type_=f"https://aries.dev/problems/{kind}", headers=headers
    )


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and key.isascii() and key.isprintable()


def _sha256(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


class Idempotency:
    """The Idempotency-Key handling of one POST, called by the gateway
    (interfaces/http/middleware.py) with the route app to run."""

    def __init__(self, *, ttl_seconds: int, key_prefix: str) -> None:
        self.ttl_seconds = ttl_seconds
        self.key_prefix = key_prefix
        self._finish: Any = None

    def _finish_script(self, redis: Any) -> Any:
        if self._finish is None or self._finish.registered_client is not redis:
            self._finish = redis.register_script(_FINISH)
        return self._finish

    async def __call__(
        self, app: ASGIApp, key: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        try:
            await self._handle(app, request, key, scope, receive, send)
        except ProblemError as problem:
            await problem.to_response(request)(scope, receive, send)

    async def _handle(
        self, app: ASGIApp, request: Request, key: str, scope: Scope, receive: Receive,
        send: Send,
    ) -> None:
        if not _valid_key(key):
            raise _problem(
                400, "Bad request", "Idempotency-Key is 1-255 printable ASCII characters",
                "idempotency-key-invalid",
            )
        try:
            principal = await authenticate(request)
        except ProblemError:
            await app(scope, receive, send)  # the endpoint answers the 401
            return
        body = await request.body()
        fingerprint = _sha256(scope["path"].encode(), scope.get("query_string", b""), body)
        store_key = self.key_prefix + "idem:" + _sha256(
            *(
                part.encode()
                for part in (
                    principal.tenant_id, principal.kind, str(principal.id), key, "POST",
                    scope["path"],
                )
            )
        )
        claim = json.dumps(
            {"state": "in_flight", "fingerprint": fingerprint, "owner": secrets.token_hex(8)}
        )
        redis = scope["app"].state.redis
        try:
            claimed = await redis.set(store_key, claim, nx=True, ex=IN_FLIGHT_SECONDS)
            earlier = None if claimed else await redis.get(store_key)
        except RedisError as error:
            log.warning("idempotency store unavailable", error=type(error).__name__)
            raise _problem(
                503, "Service unavailable", "Idempotency-Key cannot be honoured right now",
                "idempotency-unavailable", {"Retry-After": "1"},
            ) from None
        if not claimed:
            await self._answer_earlier(earlier, fingerprint)(scope, receive, send)
            return
        await self._run(app, scope, body, receive, send, redis, store_key, claim, fingerprint)

    def _answer_earlier(self, earlier: bytes | None, fingerprint: str) -> Response:
        record: dict[str, Any] | None = json.loads(earlier) if earlier is not None else None
        if record is not None and record["fingerprint"] != fingerprint:
            raise _problem(
                422, "Idempotency-Key reused",
                "this Idempotency-Key was used for a different request",
                "idempotency-key-reused",
            )
        if record is None or record["state"] != "done":
            raise _problem(
                409, "Conflict", "a request with this Idempotency-Key is in progress",
                "idempotency-key-in-flight", {"Retry-After": "1"},
            )
        headers = dict(record["headers"])
        headers["Idempotent-Replayed"] = "true"
        return Response(
            base64.b64decode(record["body"]), status_code=record["status"], headers=headers
        )

    async def _run(
        self, app: ASGIApp, scope: Scope, body: bytes, receive: Receive, send: Send,
        redis: Any, store_key: str, claim: str, fingerprint: str,
    ) -> None:
        finish = self._finish_script(redis)
        body_given = False
        status = 0
        kept: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        size = 0
        stored = False

        async def replay_body() -> Message:
            nonlocal body_given
            if not body_given:
                body_given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            nonlocal status, size, stored
            if message["type"] == "http.response.start":
                status = message["status"]
                kept.extend(
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", [])
                    if name.lower() in KEPT_HEADERS
                )
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_STORED_BODY:
                    chunks.append(chunk)
                if not message.get("more_body", False) and 200 <= status < 400:
                    if size <= MAX_STORED_BODY:
                        answer = b"".join(chunks)
                        if scope.get("state", {}).get("idempotency_redact"):
                            answer = _redacted(answer)
                        stored = await self._store(
                            finish, store_key, claim, fingerprint, status, kept, answer
                        )
            await send(message)

        try:
            await app(scope, replay_body, capture)
        finally:
            if not stored:
                try:
                    await finish(keys=[store_key], args=[claim, "", 0])
                except RedisError as error:  # the claim expires by itself
                    log.warning("idempotency claim not released", error=type(error).__name__)

    async def _store(
        self, finish: Any, store_key: str, claim: str, fingerprint: str, status: int,
        headers: list[tuple[str, str]], body: bytes,
    ) -> bool:
        record = {
            "state": "done",
            "fingerprint": fingerprint,
            "status": status,
            "headers": headers,
            "body": base64.b64encode(body).decode("ascii"),
        }
        try:
            return bool(
                await finish(keys=[store_key], args=[claim, json.dumps(record), self.ttl_seconds])
            )
        except RedisError as error:
            log.warning("idempotent answer not stored", error=type(error).__name__)
            return False


def _redacted(body: bytes) -> bytes:
    """Only the command result's fields of a JSON answer."""
    try:
        answer = json.loads(body)
    except ValueError:
        return b"{}"
    kept = {k: answer[k] for k in REPLAYED_FIELDS if isinstance(answer, dict) and k in answer}
    return json.dumps(kept, separators=(",", ":")).encode()

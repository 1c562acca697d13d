"""`DirectCommandRoute`: DirectRoute (interfaces/http/direct.py) with the same shorter way for a
command: a POST, PUT, PATCH or DELETE whose body is one JSON model (issue 18).

FastAPI's solver cost a command what it cost a read (profiles of POST /v1/patients under figure
1: `solve_dependencies` about 21% of the API process, the command's own dependencies a third of
that). A route of this class whose endpoint takes one JSON body model, answers a `Response`,
and whose other parameters and dependencies fit DirectRoute's plain shape is answered by a plan
made once: the endpoint (sync ones in the threadpool, as FastAPI runs them) after its
dependencies, each called in FastAPI's order with its per-request caching.

Each request is first checked the way FastAPI would check it, with FastAPI's own functions: the
body read, its Content-Type asking for JSON, `json.loads`, the model validated by
`request_body_to_args`, and every path, query, header and cookie parameter. Anything refused
(no JSON Content-Type, a malformed or empty body, a field error), or a dependency override, and
the request goes to FastAPI's own handler, which reads the body already read and answers exactly
as before, including which of a 401 and a 422 wins. Only a request FastAPI would accept runs the
plan, and its dependencies then raise what they raise under FastAPI (a 401, 403 or 429 first).
"""

from __future__ import annotations

import dataclasses
import email.message
import inspect
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import params as fastapi_params
from fastapi import routing as fastapi_routing
from fastapi.dependencies.utils import request_body_to_args
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from interfaces.http.direct import DirectRoute, Handler, _answers_response, _plan, _run, _validated

COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@lru_cache(maxsize=64)
def _asks_for_json(content_type: str) -> bool:
    """FastAPI's test of a body's Content-Type (application/json or */*+json), once per value."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _awaitable(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    async def in_threadpool(**arguments: Any) -> Any:
        # as FastAPI runs a sync endpoint: in the threadpool, with a copy of the context
        return await run_in_threadpool(endpoint, **arguments)

    return in_threadpool


def _fits(route: Any) -> bool:
    body = route.body_field
    call = route.dependant.call
    return (
        bool(route.methods)
        and route.methods <= COMMAND_METHODS
        and body is not None
        and len(route.dependant.body_params) == 1
        and not route._embed_body_fields
        and not isinstance(body.field_info, (fastapi_params.Form, fastapi_params.File))
        and call is not None
        and not inspect.isgeneratorfunction(call)
        and not inspect.isasyncgenfunction(call)
        and not route.is_sse_stream
        and not route.is_json_stream
        and _answers_response(route.endpoint)
    )


class DirectCommandRoute(DirectRoute):
    """A DirectRoute that also answers a plain JSON command without FastAPI's solver (see the
    module's docstring); `APIRouter(route_class=DirectCommandRoute)`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()  # the reads' way, or FastAPI's own handler
        route: Any = self
        effective = getattr(fastapi_routing, "_effective_route_context_var", None)
        if effective is None:
            return handler
        context = effective.get()
        if context is not None and context.original_route is self:
            route = context
        if not _fits(route):
            return handler
        dependant = route.dependant
        # The endpoint as a plain async step without its body, which is validated apart.
        plan = _plan(
            dataclasses.replace(dependant, call=_awaitable(dependant.call), body_params=[])
        )
        if plan is None:
            return handler
        standard = handler
        overrides = route.dependency_overrides_provider
        body_fields = list(dependant.body_params)

        async def direct_command(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await standard(request)
            content_type = request.headers.get("content-type")
            if not content_type or not _asks_for_json(content_type):
                return await standard(request)  # FastAPI refuses it (or reads it otherwise)
            received = await request.body()
            if not received:
                return await standard(request)
            try:
                document = json.loads(received)
            except ValueError:
                return await standard(request)  # FastAPI words the JSON error
            body, errors = await request_body_to_args(
                body_fields=body_fields, received_body=document, embed_body_fields=False
            )
            if errors:
                return await standard(request)
            params: dict[int, dict[str, Any]] = {}
            if not _validated(plan, request, params):
                return await standard(request)
            params[id(plan)].update(body)
            answer = await _run(plan, request, params, {})
            if not isinstance(answer, Response):
                raise TypeError(f"{self.name} answered {type(answer).__name__}, not a Response")
            return answer

        return direct_command

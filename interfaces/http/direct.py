"""`DirectRoute`: FastAPI's route class with a shorter way through a hot read (issue 18).

FastAPI's generic dependency solver costs more CPU per request than the read behind it
(profiles of GET /v1/patients/{id}: about 30% of the process in `solve_dependencies`, which
classifies every dependency callable, builds cache keys and a Response per request). A route
of this class whose endpoint and dependencies fit a plain shape is answered by a small solver
planned once, when the route is built:

- the endpoint is async, is a GET, takes no body and is annotated to return a `Response`
  (so nothing is serialised or validated after it: FastAPI would pass that Response on as is);
- every dependency is an async callable (or a security scheme, whose `__call__` is async), not
  a generator, with no concurrency limit, taking only the request and parameters; no security
  scopes, background tasks or `response` parameter anywhere.

Each request first validates every path, query, header and cookie parameter of the whole
dependency tree with FastAPI's own `request_params_to_args`, so values and coercions are the
ones FastAPI would pass. If any is refused, or dependency overrides are set, the request goes
to FastAPI's own handler, which answers exactly as before (including which of a 401 and a 422
wins). Otherwise the dependencies run in FastAPI's order (depth first, each once per request
when `use_cache`), then the endpoint. Exceptions propagate as from FastAPI's handler, to the
same exception handlers. Any other route of the class gets FastAPI's handler unchanged, and
/openapi.json is built from the route as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, get_type_hints

from fastapi import APIRouter, FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies import utils as fastapi_utils
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True, slots=True)
class _Step:
    """One dependency (or the endpoint) to call, after the steps it depends on."""

    call: Callable[..., Any]
    key: tuple[Any, str]  # FastAPI's cache key without scopes (none are used): call, scope
    name: str | None  # the parameter of the caller it fills (None: the endpoint)
    request_params: tuple[str, ...]  # the parameters given the Request (or HTTPConnection)
    params: tuple[tuple[str, tuple[_Param, ...]], ...]  # by source: path, query, header...
    inner: tuple[_Step, ...]
    use_cache: bool


@dataclass(frozen=True, slots=True)
class _Param:
    """A parameter, and what FastAPI gives when the request does not send it: validating an
    absent optional parameter costs FastAPI more than the whole read's SQL."""

    field: Any
    keys: tuple[str, ...] | None  # the request keys FastAPI looks at (None: always validate)
    default: Any  # an immutable default, given as is when no key is sent


_SOURCES = ("path", "query", "header", "cookie")
_IMMUTABLE = (type(None), bool, int, float, str, bytes)


def _param(field: Any) -> _Param:
    info = field.field_info
    try:  # FastAPI's own tests of what `request_params_to_args` treats specially
        plain = (
            fastapi_utils._get_param_model(field) is None
            and not fastapi_utils._is_json_field(field)
            and not fastapi_utils.field_annotation_is_sequence(info.annotation)
            and not info.is_required() and not info.validate_default
            and isinstance(field.default, _IMMUTABLE)
        )
        keys = tuple(key for _, key in fastapi_utils._get_param_aliases(field))
    except AttributeError:  # another FastAPI: validate every parameter as it does
        plain = False
    return _Param(field, keys if plain else None, field.default)


def _is_async(call: Any) -> bool:
    if inspect.iscoroutinefunction(call):
        return True
    dunder = getattr(call, "__call__", None)  # noqa: B004 (a security scheme's instance)
    return not inspect.isfunction(call) and inspect.iscoroutinefunction(dunder)


def _plan(dependant: Dependant) -> _Step | None:
    """The step for `dependant`, or None if it does not fit the plain shape."""
    call = dependant.call
    if (
        call is None or not _is_async(call) or inspect.isasyncgenfunction(call)
        or dependant.body_params or dependant.concurrency is not None
        or dependant.security_scopes_param_name or dependant.own_oauth_scopes
        or dependant.parent_oauth_scopes or dependant.response_param_name
        or dependant.background_tasks_param_name or dependant.websocket_param_name
    ):
        return None
    inner = tuple(_plan(sub) for sub in dependant.dependencies)
    if any(step is None for step in inner):
        return None
    fields = (
        dependant.path_params, dependant.query_params, dependant.header_params,
        dependant.cookie_params,
    )
    return _Step(
        call=call, key=(call, dependant.scope or ""), name=dependant.name,
        request_params=tuple(
            name for name in (dependant.request_param_name, dependant.http_connection_param_name)
            if name is not None
        ),
        params=tuple(
            (source, tuple(map(_param, f))) for source, f in zip(_SOURCES, fields, strict=True)
            if f
        ),
        inner=inner,  # type: ignore[arg-type]  (None was refused above)
        use_cache=dependant.use_cache,
    )


def _answers_response(endpoint: Callable[..., Any]) -> bool:
    try:
        answer = get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return isinstance(answer, type) and issubclass(answer, Response)


def _received(request: Request, source: str) -> Any:
    if source == "path":
        return request.path_params
    if source == "query":
        return request.query_params
    if source == "header":
        return request.headers
    return request.cookies


def _validated(step: _Step, request: Request, into: dict[int, dict[str, Any]]) -> bool:
    """Validate the parameters of `step` and of every step under it into `into` (by step
    id); False as soon as one is refused."""
    if id(step) in into:
        return True
    for inner in step.inner:
        if not _validated(inner, request, into):
            return False
    values: dict[str, Any] = {}
    for source, params in step.params:
        received = _received(request, source)
        sent = []
        for param in params:
            if param.keys is not None and not any(key in received for key in param.keys):
                values[param.field.name] = param.default
            else:
                sent.append(param.field)
        found, errors = request_params_to_args(sent, received)
        if errors:
            return False
        values.update(found)
    into[id(step)] = values
    return True


async def _run(
    step: _Step, request: Request, params: dict[int, dict[str, Any]], solved: dict[Any, Any]
) -> Any:
    arguments = dict(params[id(step)])
    for inner in step.inner:
        if inner.use_cache and inner.key in solved:
            value = solved[inner.key]
        else:
            value = await _run(inner, request, params, solved)
            solved.setdefault(inner.key, value)
        if inner.name is not None:
            arguments[inner.name] = value
    for name in step.request_params:
        arguments[name] = request
    return await step.call(**arguments)


class DirectRoute(APIRoute):
    """An APIRoute that answers a plain async read without FastAPI's solver (see the module's
    docstring); `APIRouter(route_class=DirectRoute)`."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        route: Any = self
        # FastAPI builds an included route's handler once per inclusion, from an "effective"
        # copy carrying the router's prefix and dependencies; it names it in a ContextVar.
        effective = getattr(fastapi_routing, "_effective_route_context_var", None)
        if effective is None:  # another FastAPI: which dependencies apply is not known here
            return standard
        context = effective.get()
        if context is not None and context.original_route is self:
            route = context
        plan = _plan(route.dependant)
        if (
            plan is None or route.methods != {"GET"} or route.body_field is not None
            or not _answers_response(self.endpoint)
        ):
            return standard
        overrides = route.dependency_overrides_provider
        endpoint: _Step = plan

        async def direct(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await standard(request)
            params: dict[int, dict[str, Any]] = {}
            if not _validated(endpoint, request, params):
                return await standard(request)  # FastAPI words the 422 (or a 401 first)
            answer = await _run(endpoint, request, params, {})
            if not isinstance(answer, Response):
                raise TypeError(f"{self.name} answered {type(answer).__name__}, not a Response")
            return answer

        return direct


# --- Hot routers matched first ---------------------------------------------------------------


def match_first(app: FastAPI, router: APIRouter) -> bool:
    """Move `router`'s routes to the front of `app`'s, so that its requests are matched before
    every other router is tried (FastAPI matches the app's routes in order, each included
    router's one by one: about a tenth of a patient read's CPU went to the routers before
    it). Done only where it cannot change which route answers any request: when no route
    before it could match a path one of its routes matches (their literal beginnings, up to
    the first parameter, differ). Answers whether it moved them; /openapi.json keeps the order
    the routes were added in (`install_openapi(app, routes)` with the order before this)."""
    routes = app.router.routes
    index = next(
        (i for i, route in enumerate(routes) if getattr(route, "original_router", None) is router),
        None,
    )
    if index is None:
        return False
    own = _path_formats(routes[index])
    if own is None:
        return False
    for earlier in routes[:index]:
        paths = _path_formats(earlier)
        if paths is None or any(_may_overlap(a, b) for a in paths for b in own):
            return False
    routes.insert(0, routes.pop(index))
    return True


def _path_formats(route: BaseRoute) -> list[str] | None:
    """The path formats a top-level route matches (an included router's: each of its
    routes'); None if unknown (another FastAPI, a host or websocket route...)."""
    contexts = getattr(route, "effective_route_contexts", None)
    if contexts is None:
        found = [getattr(route, "path_format", None)]
    else:
        found = [getattr(c.starlette_route or c, "path_format", None) for c in contexts()]
    return None if any(path is None for path in found) else found  # type: ignore[return-value]


def _may_overlap(a: str, b: str) -> bool:
    """Whether two path formats could match one path: unless the literal text before their
    first parameter differs (neither a prefix of the other), assume they could."""
    a, b = a.split("{", 1)[0], b.split("{", 1)[0]
    return a.startswith(b) or b.startswith(a)

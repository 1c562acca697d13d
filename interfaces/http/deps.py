"""Dependencies every router shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from interfaces.bootstrap import Aries


async def get_aries(request: Request) -> Aries:
    # async: a sync dependency would cost a threadpool hop per request for an attribute read
    return request.app.state.aries


AriesDep = Annotated[Aries, Depends(get_aries)]

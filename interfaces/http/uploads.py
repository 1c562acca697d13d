"""A file sent to an endpoint as the raw body (one of the endpoint's text types) or as the
multipart form field `file`: the bytes, or a 400/415 problem saying how to send it."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from interfaces.http.problems import ProblemError


async def uploaded_file(request: Request, text_types: Sequence[str], what: str) -> bytes:
    """The bytes of `what` (e.g. "the 835"), from a body of one of `text_types` (the first
    named in the problem) or from a multipart form's `file` field."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ProblemError(400, "Bad request", f"send {what} as the form field `file`")
        return await upload.read()
    if content_type in text_types:
        return await request.body()
    raise ProblemError(
        415, "Unsupported media type",
        f"send {what} as {text_types[0]}, or as a multipart field `file`",
    )

"""The ASGI app: routing, auth, the error envelope, faults, and inference on tuned models.

Routes follow the v1beta http rules (tuning-api.md §3). Paths are matched by hand because the
``:verb`` suffixes (``:cancel``, ``:generateContent``) are not path segments. Unmapped routes --
including ``POST /v1beta/tunedModels/*/operations/*:cancel``, which the real v1beta surface does
not bind (the official client refuses to send it) -- answer 404 NOT_FOUND. Cancel exists only
under ``/v1/``, as on the real surface.

Request JSON may use camelCase or snake_case; responses are proto3 JSON with exactly the proto's
fields (``$alt=json;enum-encoding=int`` switches enums to numbers). Bodies are read whole
(a chunked upload is reassembled by the server) and parsed with orjson: a truncated or
malformed body is a 400 and creates nothing; a client that disconnects mid-body gets nothing.

Auth: ``x-goog-api-key``, ``?key=``, ``Authorization: Bearer`` or ``?access_token=``. With no
credentials: 403 PERMISSION_DENIED (the real "unregistered callers" error). With ``api_keys``
configured, any other key gets the real 400 ``API key not valid`` (with its ``ErrorInfo``), and
any other bearer token 401 UNAUTHENTICATED.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import orjson
import pydantic
from pydantic.alias_generators import to_camel
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..types import HTTP_STATUS_OF, ListModelsResponse, TunedModelState
from ._faults import Fault, Faults
from ._inference import (
    content_response,
    nearest_output,
    prompt_of,
    sse_events,
    stream_parts,
    text_response,
)
from ._routes import match_route
from ._state import BASE_MODELS, ApiError, Store, bad

__all__ = ["DropConnection", "build_app"]

_JSON = "application/json; charset=UTF-8"
_KEY_INVALID = "API key not valid. Please pass a valid API key."
_KEY_INFO = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
    "metadata": {"service": "generativelanguage.googleapis.com"},
}
_FAULT_STATUS = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_FAULT_MESSAGE = {
    429: "Resource has been exhausted (e.g. check quota).",
    503: "The service is currently unavailable.",
}


class DropConnection(Exception):
    """Raised after a committed request to make the server drop the connection."""


class _Dropped(Response):
    """Starts a response, then fails: uvicorn aborts the connection mid-response."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise DropConnection(str(self.body, "utf-8"))


def _camel(value: Any) -> Any:
    return {to_camel(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _normalize(body: dict[str, Any]) -> dict[str, Any]:
    """snake_case → camelCase on the create body (the example loop handles ``text_input``)."""
    out: dict[str, Any] = _camel(body)
    task = _camel(out.get("tuningTask"))
    if isinstance(task, dict):
        if "hyperparameters" in task:
            task["hyperparameters"] = _camel(task["hyperparameters"])
        out["tuningTask"] = task
    if "tunedModelSource" in out:
        out["tunedModelSource"] = _camel(out["tunedModelSource"])
    return out


def _query(request: Request, name: str) -> str:
    q = request.query_params
    return q.get(name) or q.get("".join("_" + c.lower() if c.isupper() else c for c in name)) or ""


def _page(items: list[Any], request: Request, default: int) -> tuple[list[Any], str]:
    size_raw = _query(request, "pageSize") or "0"
    try:
        size = int(size_raw)
    except ValueError:
        raise bad(f"Invalid value at 'page_size' (TYPE_INT32), {size_raw!r}") from None
    if size < 0:
        raise bad("page_size must not be negative.")
    size = default if size == 0 else min(size, 1000)
    token = _query(request, "pageToken")
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise bad("Invalid page_token.") from None
    if start < 0:
        raise bad("Invalid page_token.")
    end = start + size
    nxt = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], nxt


def _listing(key: str, page: list[Any], next_token: str) -> dict[str, Any]:
    """A list response in proto3 JSON: empty fields omitted."""
    out: dict[str, Any] = {key: page} if page else {}
    if next_token:
        out["nextPageToken"] = next_token
    return out


def _matches(text: str, filter_: str) -> bool:
    """``tunedModels.list`` filter: words (full text) and ``owner:me``-style operators."""
    for term in filter_.lower().split():
        field, sep, value = term.partition(":")
        if sep and field in ("owner", "writers", "readers"):
            if value != "me":  # readers:everyone: nothing here is shared with everyone
                return False
        elif term not in text:
            return False
    return True


def build_app(store: Store, faults: Faults, api_keys: frozenset[str] | None) -> Starlette:
    """The emulator's Starlette app over ``store``."""
    now = store.clock.time

    def owner_of(request: Request) -> str:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if key:
            if api_keys is not None and key not in api_keys:
                raise ApiError("INVALID_ARGUMENT", _KEY_INVALID, [_KEY_INFO])
            return f"key:{key}"
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = token or request.query_params.get("access_token", "")
        if token:
            if api_keys is not None and token not in api_keys:
                raise ApiError(
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
            return f"token:{token}"
        raise ApiError(
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )

    def enum_int(request: Request) -> bool:
        return "enum-encoding=int" in request.query_params.get("$alt", "")

    async def body_of(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise bad(
                "Invalid JSON payload received. Unexpected end of input or malformed JSON."
            ) from None
        if not isinstance(data, dict):
            raise bad("Invalid JSON payload received. Expected an object.")
        return data

    # -- handlers: (request, owner, *path groups) -> JSON-able payload ---------------------------
    async def create(request: Request, owner: str) -> Any:
        model_id = _query(request, "tunedModelId") or None
        body = _normalize(await body_of(request))
        return store.create(owner, body, model_id).operation_wire(now(), enum_int=enum_int(request))

    async def list_models(request: Request, owner: str) -> Any:
        filter_ = _query(request, "filter")
        jobs = [
            j
            for j in store.owned(owner)
            if not filter_
            or _matches(f"{j.fields['display_name']} {j.fields['description']}".lower(), filter_)
        ]
        page, nxt = _page(jobs, request, 10)
        t, ints = now(), enum_int(request)
        return _listing("tunedModels", [j.model_wire(t, enum_int=ints) for j in page], nxt)

    async def get(request: Request, owner: str, mid: str) -> Any:
        return store.job(owner, mid).model_wire(now(), enum_int=enum_int(request))

    async def patch(request: Request, owner: str, mid: str) -> Any:
        job = store.job(owner, mid)
        mask = _query(request, "updateMask")
        paths = [
            ".".join(to_camel(part) for part in p.strip().split("."))
            for p in mask.split(",")
            if p.strip()
        ]
        store.patch(job, _camel(await body_of(request)), paths)
        return job.model_wire(now(), enum_int=enum_int(request))

    async def delete(request: Request, owner: str, mid: str) -> Any:
        store.jobs.pop(store.job(owner, mid).id, None)
        return {}

    async def transfer(request: Request, owner: str, mid: str) -> Any:
        job = store.job(owner, mid)
        email = _camel(await body_of(request)).get("emailAddress")
        if not isinstance(email, str) or "@" not in email:
            raise bad("email_address is required.")
        job.extra["owner_email"] = email
        return {}

    async def list_ops(request: Request, owner: str, _v: str, mid: str) -> Any:
        op = store.job(owner, mid).operation_wire(now(), enum_int=enum_int(request))
        filter_ = _query(request, "filter").replace(" ", "").lower()
        if filter_ in ("done=true", "done=false") and (filter_ == "done=true") != bool(
            op.get("done")
        ):
            return {}
        return _listing("operations", *_page([op], request, 10))

    def operation_job(owner: str, mid: str, op: str) -> Any:
        job = store.job(owner, mid)
        if job.op_id != op:
            raise ApiError("NOT_FOUND", f"Operation tunedModels/{mid}/operations/{op} not found.")
        return job

    async def get_op(request: Request, owner: str, _v: str, mid: str, op: str) -> Any:
        return operation_job(owner, mid, op).operation_wire(now(), enum_int=enum_int(request))

    async def cancel(request: Request, owner: str, mid: str, op: str) -> Any:
        store.cancel(operation_job(owner, mid, op))
        return {}

    async def base_models(request: Request, owner: str, _v: str) -> Any:
        page, nxt = _page(list(BASE_MODELS.values()), request, 50)
        return ListModelsResponse(models=page, next_page_token=nxt).to_wire()

    async def base_model(request: Request, owner: str, _v: str, mid: str) -> Any:
        return store.base_model(f"models/{mid}").to_wire()

    async def generate(request: Request, owner: str, _v: str, mid: str, verb: str) -> Any:
        job = store.job(owner, mid)
        if store.state(job) is not TunedModelState.ACTIVE:
            raise ApiError(
                "FAILED_PRECONDITION",
                f"Tuned model tunedModels/{mid} is not ready: its state is "
                f"{store.state(job).name}; it can be used once it is ACTIVE.",
            )
        prompt = prompt_of(_camel(await body_of(request)), verb)
        text = nearest_output(job, prompt)
        if verb == "generateText":
            return text_response(text).to_wire()
        if verb == "generateContent":
            return content_response(prompt, text).to_wire()
        parts = stream_parts(prompt, text)
        if request.query_params.get("alt") == "sse":
            return StreamingResponse(sse_events(parts), media_type="text/event-stream")
        return parts  # without alt=sse the stream is one JSON array

    handlers: dict[str, Callable[..., Awaitable[Any]]] = {
        "create": create,
        "list": list_models,
        "get": get,
        "patch": patch,
        "delete": delete,
        "transfer": transfer,
        "list_ops": list_ops,
        "get_op": get_op,
        "cancel": cancel,
        "base_models": base_models,
        "base_model": base_model,
        "generate": generate,
    }

    def error_response(
        exc: ApiError, headers: dict[str, str] | None = None, code: int | None = None
    ) -> Response:
        code = code or HTTP_STATUS_OF.get(exc.status, 500)
        err: dict[str, Any] = {"code": code, "message": exc.message, "status": exc.status}
        if exc.details:
            err["details"] = exc.details
        body = orjson.dumps({"error": err})
        return Response(body, status_code=code, media_type=_JSON, headers=headers)

    def fault_response(fault: Fault, status: int) -> Response:
        name = _FAULT_STATUS.get(status) or next(
            (k for k, v in HTTP_STATUS_OF.items() if v == status), "UNKNOWN"
        )
        message = fault.message or _FAULT_MESSAGE.get(status, "Injected fault.")
        if status != 429:  # the injected HTTP status even if no canonical code maps to it (502)
            return error_response(ApiError(name, message), code=status)
        delay = faults.retry_after if fault.retry_after is None else fault.retry_after
        detail = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay:g}s"}
        return error_response(
            ApiError(name, message, [detail]), {"Retry-After": str(math.ceil(delay))}
        )

    async def dispatch(request: Request) -> Response:
        method, path = request.method, request.url.path
        fault = faults.next_fault(method, path)
        delay = faults.delay_for(method, path) + (fault.delay if fault else 0.0)
        if delay:
            await anyio.sleep(delay)
        if fault is not None and fault.status is not None:
            return fault_response(fault, fault.status)
        try:
            found = match_route(method, path)
            if found is None:
                raise ApiError(
                    "NOT_FOUND", f"The requested URL {path} was not found on this server."
                )
            name, groups = found
            owner = owner_of(request)
            payload = await handlers[name](request, owner, *groups)
        except ApiError as exc:
            return error_response(exc)
        except pydantic.ValidationError as exc:
            return error_response(bad(f"Invalid JSON payload received. {exc.errors()[0]['msg']}"))
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening; nothing was committed
        if fault is not None and fault.drop:
            return _Dropped(f"{method} {path}: connection dropped after commit (injected fault)")
        if isinstance(payload, Response):
            return payload
        return Response(orjson.dumps(payload), media_type=_JSON)

    methods = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])

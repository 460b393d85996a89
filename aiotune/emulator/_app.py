"""The ASGI app: routing, auth, the error envelope, faults, and inference on tuned models.

Routes follow the v1beta http rules (tuning-api.md §3). Paths are matched by hand because the
``:verb`` suffixes (``:cancel``, ``:generateContent``) are not path segments. Unmapped routes --
including ``POST /v1beta/tunedModels/*/operations/*:cancel``, which the real v1beta surface does
not bind -- answer 404 like the real front end. Request JSON may use camelCase or snake_case;
responses are proto3 JSON (``$alt=json;enum-encoding=int`` switches enums to numbers).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import orjson
from pydantic.alias_generators import to_camel
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..types import (
    HTTP_STATUS_OF,
    Candidate,
    Content,
    GenerateContentResponse,
    GenerateTextResponse,
    ListModelsResponse,
    ListOperationsResponse,
    ListTunedModelsResponse,
    Part,
    TextCompletion,
    TunedModelState,
    UsageMetadata,
)
from ._faults import DROP, Faults
from ._simulation import Job
from ._state import BASE_MODELS, ApiError, Store, bad

__all__ = ["DropConnection", "build_app"]

_ID = r"([^/:]+)"
_WORD = re.compile(r"[a-z0-9]+")


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
    out = _camel(body)
    task = _camel(out.get("tuningTask"))
    if isinstance(task, dict):
        task["hyperparameters"] = _camel(task.get("hyperparameters"))
        out["tuningTask"] = task
    out["tunedModelSource"] = _camel(out.get("tunedModelSource"))
    return out


def _page(items: list[Any], request: Request, default: int) -> tuple[list[Any], str]:
    q = request.query_params
    size_raw = q.get("pageSize") or q.get("page_size") or "0"
    try:
        size = int(size_raw)
    except ValueError:
        raise bad(f"Invalid page_size {size_raw!r}.") from None
    size = default if size <= 0 else min(size, 1000)
    token = q.get("pageToken") or q.get("page_token") or ""
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise bad("Invalid page_token.") from None
    end = start + size
    nxt = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], nxt


def _tokens(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def answer_from_examples(job: Job, prompt: str) -> str:
    """The output of the training example nearest to ``prompt`` (token overlap, then order)."""
    words = _tokens(prompt)
    best, best_score = job.examples[0][1], -1.0
    for text, output in job.examples:
        other = _tokens(text)
        union = len(words | other)
        score = len(words & other) / union if union else 0.0
        if score > best_score:
            best, best_score = output, score
    return best


def build_app(store: Store, faults: Faults, api_keys: frozenset[str] | None) -> Starlette:
    """The emulator's Starlette app over ``store``."""

    def owner_of(request: Request) -> str:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        auth = request.headers.get("authorization", "")
        if key:
            if api_keys is not None and key not in api_keys:
                raise ApiError(
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                            "metadata": {"service": "generativelanguage.googleapis.com"},
                        }
                    ],
                )
            return f"key:{key}"
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = token or request.query_params.get("access_token", "")
        if token:
            return f"token:{token}"
        raise ApiError(
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )

    def enum_int(request: Request) -> bool:
        return "enum-encoding=int" in request.query_params.get("$alt", "")

    def reply(request: Request, payload: Any) -> Response:
        if hasattr(payload, "to_wire"):
            payload = payload.to_wire(enum_int=enum_int(request))
        return Response(orjson.dumps(payload), media_type="application/json; charset=UTF-8")

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

    now = store.clock.time

    # -- handlers: (request, owner, *path groups) -> payload --------------------------------------
    async def create(request: Request, owner: str) -> Any:
        q = request.query_params
        model_id = q.get("tunedModelId") or q.get("tuned_model_id")
        body = _normalize(await body_of(request))
        return store.create(owner, body, model_id).operation(now())

    async def list_models(request: Request, owner: str) -> Any:
        text = (request.query_params.get("filter") or "").lower()
        jobs = [
            j for j in store.owned(owner)
            if not text or text in f"{j.fields['display_name']} {j.fields['description']}".lower()
        ]  # fmt: skip
        page, nxt = _page(jobs, request, 10)
        t = now()
        return ListTunedModelsResponse(tuned_models=[j.model(t) for j in page], next_page_token=nxt)

    async def get(request: Request, owner: str, mid: str) -> Any:
        return store.job(owner, mid).model(now())

    async def patch(request: Request, owner: str, mid: str) -> Any:
        job = store.job(owner, mid)
        q = request.query_params
        mask = q.get("updateMask") or q.get("update_mask") or ""
        paths = [to_camel(p.strip()) for p in mask.split(",") if p.strip()]
        store.patch(job, _camel(await body_of(request)), paths)
        return job.model(now())

    async def delete(request: Request, owner: str, mid: str) -> Any:
        store.jobs.pop(store.job(owner, mid).id)
        return {}

    async def transfer(request: Request, owner: str, mid: str) -> Any:
        job = store.job(owner, mid)
        body = _camel(await body_of(request))
        email = body.get("emailAddress")
        if not isinstance(email, str) or "@" not in email:
            raise bad("email_address is required.")
        job.extra["owner_email"] = email
        return {}

    async def list_ops(request: Request, owner: str, _v: str, mid: str) -> Any:
        return ListOperationsResponse(operations=[store.job(owner, mid).operation(now())])

    async def get_op(request: Request, owner: str, _v: str, mid: str, op: str) -> Any:
        job = store.job(owner, mid)
        if job.op_id != op:
            raise ApiError("NOT_FOUND", f"Operation tunedModels/{mid}/operations/{op} not found.")
        return job.operation(now())

    async def cancel(request: Request, owner: str, mid: str, op: str) -> Any:
        job = store.job(owner, mid)
        if job.op_id != op:
            raise ApiError("NOT_FOUND", f"Operation tunedModels/{mid}/operations/{op} not found.")
        store.cancel(job)
        return {}

    async def base_models(request: Request, owner: str, _v: str) -> Any:
        page, nxt = _page(list(BASE_MODELS.values()), request, 50)
        return ListModelsResponse(models=page, next_page_token=nxt)

    async def base_model(request: Request, owner: str, _v: str, mid: str) -> Any:
        return store.base_model(f"models/{mid}")

    def active(owner: str, mid: str) -> Job:
        job = store.job(owner, mid)
        if store.state(job) is not TunedModelState.ACTIVE:
            raise ApiError(
                "FAILED_PRECONDITION", f"Tuned model tunedModels/{mid} is not ACTIVE yet."
            )
        return job

    async def prompt_of(request: Request) -> str:
        body = _camel(await body_of(request))
        if "prompt" in body:
            prompt = _camel(body.get("prompt") or {})
            return str(prompt.get("text", ""))
        texts = [
            p.get("text", "") for c in body.get("contents") or [] for p in c.get("parts") or []
        ]
        if not texts:
            raise bad("contents is not specified.")
        return " ".join(texts)

    def content_response(job: Job, prompt: str, text: str) -> GenerateContentResponse:
        p, c = len(prompt.split()), len(text.split())
        return GenerateContentResponse(
            candidates=[
                Candidate(
                    content=Content(parts=[Part(text=text)], role="model"),
                    finish_reason="STOP",
                    index=0,
                )
            ],
            usage_metadata=UsageMetadata(
                prompt_token_count=p, candidates_token_count=c, total_token_count=p + c
            ),
        )

    async def generate(request: Request, owner: str, _v: str, mid: str, verb: str) -> Any:
        job = active(owner, mid)
        prompt = await prompt_of(request)
        text = answer_from_examples(job, prompt)
        if verb == "generateText":
            return GenerateTextResponse(candidates=[TextCompletion(output=text)])
        if verb == "generateContent":
            return content_response(job, prompt, text)
        words = text.split(" ")
        half = max(1, math.ceil(len(words) / 2))
        chunks = [" ".join(words[:half]), " ".join(words[half:])]
        parts = [content_response(job, prompt, t).to_wire() for t in chunks if t]
        if request.query_params.get("alt") == "sse":
            lines = [b"data: " + orjson.dumps(p) + b"\r\n\r\n" for p in parts]
            return StreamingResponse(_aiter(lines), media_type="text/event-stream")
        return parts

    Handler = Callable[..., Awaitable[Any]]
    routes: list[tuple[str, re.Pattern[str], Handler]] = [
        ("POST", re.compile(r"/v1beta/tunedModels"), create),
        ("GET", re.compile(r"/v1beta/tunedModels"), list_models),
        ("GET", re.compile(rf"/v1beta/tunedModels/{_ID}"), get),
        ("PATCH", re.compile(rf"/v1beta/tunedModels/{_ID}"), patch),
        ("DELETE", re.compile(rf"/v1beta/tunedModels/{_ID}"), delete),
        ("POST", re.compile(rf"/v1beta/tunedModels/{_ID}:transferOwnership"), transfer),
        ("GET", re.compile(rf"/(v1beta|v1)/tunedModels/{_ID}/operations"), list_ops),
        ("GET", re.compile(rf"/(v1beta|v1)/tunedModels/{_ID}/operations/{_ID}"), get_op),
        ("POST", re.compile(rf"/v1/tunedModels/{_ID}/operations/{_ID}:cancel"), cancel),
        ("GET", re.compile(r"/(v1beta|v1)/models"), base_models),
        ("GET", re.compile(rf"/(v1beta|v1)/models/{_ID}"), base_model),
        (
            "POST",
            re.compile(
                rf"/(v1beta|v1)/tunedModels/{_ID}:(generateContent|streamGenerateContent|generateText)"
            ),
            generate,
        ),
    ]

    def error_response(exc: ApiError, headers: dict[str, str] | None = None) -> Response:
        code = HTTP_STATUS_OF.get(exc.status, 500)
        err: dict[str, Any] = {"code": code, "message": exc.message, "status": exc.status}
        if exc.details:
            err["details"] = exc.details
        return Response(
            orjson.dumps({"error": err}),
            status_code=code,
            media_type="application/json; charset=UTF-8",
            headers=headers,
        )

    def fault_response(status: int) -> Response:
        names = {
            429: "RESOURCE_EXHAUSTED",
            500: "INTERNAL",
            503: "UNAVAILABLE",
            504: "DEADLINE_EXCEEDED",
        }
        name = names.get(
            status, next((k for k, v in HTTP_STATUS_OF.items() if v == status), "UNKNOWN")
        )
        if status == 429:
            delay = faults.retry_after
            detail = {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": f"{delay:g}s",
            }
            exc = ApiError(name, "Resource has been exhausted (e.g. check quota).", [detail])
            return error_response(exc, {"Retry-After": f"{math.ceil(delay)}"})
        return error_response(
            ApiError(
                name,
                "The service is currently unavailable." if status == 503 else "Injected fault.",
            )
        )

    async def dispatch(request: Request) -> Response:
        method, path = request.method, request.url.path
        delay = faults.delay_for(method, path)
        if delay:
            await anyio.sleep(delay)
        action = faults.next_action(method, path)
        if isinstance(action, int):
            return fault_response(action)
        try:
            for verb, pattern, handler in routes:
                match = pattern.fullmatch(path)
                if match and verb == method:
                    owner = owner_of(request)
                    payload = await handler(request, owner, *match.groups())
                    break
            else:
                raise ApiError(
                    "NOT_FOUND", f"The requested URL {path} was not found on this server."
                )
        except ApiError as exc:
            return error_response(exc)
        except ClientDisconnect:
            return Response(status_code=499)
        if action == DROP:
            return _Dropped(f"{method} {path}: connection dropped after commit (injected fault)")
        return payload if isinstance(payload, Response) else reply(request, payload)

    methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
    return Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])


async def _aiter(items: list[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item

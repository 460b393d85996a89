"""``AsyncClient``: lifecycle, auth, base URL and options; one thin method per API call.

Settings resolve as: argument, then environment (``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``,
``AIOTUNE_BASE_URL``), then the defaults in :mod:`aiotune._constants`. Nothing is bound to an
event loop at construction; see :mod:`aiotune._transport` for the loop, pool and limiter rules.

Per-call ``request_options={"timeout": seconds | None, "retry": RetryPolicy | int | None}``:
an omitted key keeps the client's setting; ``retry=None`` or ``0`` means a single attempt.

Create is exactly-once: without ``id`` an id is generated client-side and sent as
``?tunedModelId=``, so a retried create cannot start a second job; a 409 after a retried attempt
means an earlier attempt landed, and its operation is adopted (``GET .../operations``). A 409 on
the first attempt is a real :class:`~aiotune.ConflictError`. The request body is streamed from the
training data; a source that cannot be re-read (``replayable`` false, e.g. a generator) is not
retried once its body has started to stream -- the error surfaces and the job may or may not
exist (pass ``id=`` and check ``get_tuned_model``). A :class:`~aiotune.DatasetError` raised while
streaming aborts the upload and is never retried.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, TypedDict

import anyio
import httpx
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from ._constants import (
    API_KEY_ENV_VARS,
    API_VERSION,
    BASE_URL_ENV_VAR,
    CANCEL_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_TIMEOUT,
    LOGGER_NAME,
    NOT_GIVEN,
    NotGiven,
)
from ._create import (
    build_tuned_model,
    generate_tuned_model_id,
    send_create,
    tuned_model_name,
    validate_tuned_model_id,
)
from ._operation import TuningOperation
from ._retry import PollingPolicy, RetryPolicy, retry_call
from ._transport import HTTPTransport, TimeoutTypes, to_httpx_timeout
from .types import (
    GenerateContentRequest,
    GenerateContentResponse,
    GenerateTextResponse,
    ListModelsResponse,
    ListOperationsResponse,
    ListTunedModelsResponse,
    Model,
    Operation,
    TunedModel,
)

__all__ = ["AsyncClient", "Options", "RequestOptions"]

log = logging.getLogger(LOGGER_NAME)


class RequestOptions(TypedDict, total=False):
    """Per-call options; an omitted key keeps the client's setting."""

    timeout: TimeoutTypes
    retry: RetryPolicy | int | None


#: What every ``request_options=`` parameter accepts.
Options = RequestOptions | Mapping[str, Any] | None


def _model_name(name: Any) -> str:
    raw = getattr(name, "name", name)
    if not isinstance(raw, str) or not raw:
        raise TypeError(f"expected a model name (str) or a model object, got {name!r}")
    return raw if "/" in raw else f"models/{raw}"


def _operation_name(name: Any) -> str:
    raw = getattr(name, "name", name)
    if not isinstance(raw, str) or "/operations/" not in raw:
        raise ValueError(
            f"invalid operation name {raw!r}: expected 'tunedModels/<id>/operations/<op>'"
        )
    return raw


def _flatten(updates: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in updates.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.extend(_flatten(value, path))
        else:
            out.append((path, value))
    return out


def _is_palm(model_name: str) -> bool:
    return "bison" in model_name or "gecko" in model_name


class AsyncClient:
    """Async client of the Generative Language API tuning surface (v1beta).

    Use one per application (``async with aiotune.AsyncClient() as client:``, or create it in a
    web app's lifespan and ``await client.aclose()`` on shutdown). ``transport=`` takes any httpx
    async transport (e.g. the emulator's); ``http_client=`` an app-owned ``httpx.AsyncClient``,
    which aiotune never closes (size its pool to at least ``max_in_flight``).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        polling: PollingPolicy | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        if api_key is None:
            api_key = next((os.environ[v] for v in API_KEY_ENV_VARS if os.environ.get(v)), None)
        base = base_url or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
        base = base.rstrip("/")
        for suffix in (f"/{API_VERSION}", f"/{CANCEL_API_VERSION}"):
            base = base.removesuffix(suffix)
        policy = retry or RetryPolicy()
        if max_retries is not None:
            policy = policy.with_max_retries(max_retries)
        self.retry = policy
        self.polling = polling or PollingPolicy()
        if isinstance(timeout, NotGiven):
            resolved: httpx.Timeout | NotGiven = (
                DEFAULT_TIMEOUT if http_client is None else NOT_GIVEN
            )
        else:
            resolved = to_httpx_timeout(timeout)
        self._transport = HTTPTransport(
            api_key=api_key,
            base_url=base,
            http_client=http_client,
            transport=transport,
            timeout=resolved,
            max_in_flight=max_in_flight,
            headers=default_headers,
        )
        self._palm_bases: dict[str, bool] = {}
        self._call_timeout: TimeoutTypes | NotGiven = NOT_GIVEN

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        polling: PollingPolicy | None = None,
    ) -> AsyncClient:
        """A cheap copy with other defaults that shares this client's pool and limiter
        (closing either closes the shared pool)."""
        clone = copy.copy(self)
        if not isinstance(timeout, NotGiven):
            clone._call_timeout = timeout
        clone.retry = retry or self.retry
        if max_retries is not None:
            clone.retry = clone.retry.with_max_retries(max_retries)
        clone.polling = polling or self.polling
        return clone

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def max_in_flight(self) -> int:
        return self._transport.max_in_flight

    @property
    def timeout(self) -> httpx.Timeout | NotGiven:
        return self._transport.timeout

    @property
    def closed(self) -> bool:
        return self._transport.closed

    def __repr__(self) -> str:
        key = "'***'" if self._transport._api_key else "None"
        return (
            f"AsyncClient(base_url={self.base_url!r}, api_key={key}, "
            f"max_in_flight={self.max_in_flight}, timeout={self.timeout!r}, "
            f"retry={self.retry!r}, polling={self.polling!r})"
        )

    # -- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self.closed:
            raise RuntimeError("this aiotune.AsyncClient is closed; create a new one")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (not an injected ``http_client``). Idempotent."""
        await self._transport.aclose()

    # -- plumbing ----------------------------------------------------------------------------
    def _options(self, request_options: Options) -> tuple[TimeoutTypes | NotGiven, RetryPolicy]:
        if not request_options:
            return self._call_timeout, self.retry
        unknown = set(request_options) - {"timeout", "retry"}
        if unknown:
            raise TypeError(f"unknown request_options {sorted(unknown)}; use 'timeout', 'retry'")
        timeout: Any = request_options.get("timeout", self._call_timeout)
        retry: Any = request_options.get("retry", NOT_GIVEN)
        if isinstance(retry, NotGiven):
            policy = self.retry
        elif retry is None:
            policy = self.retry.with_max_retries(0)
        elif isinstance(retry, RetryPolicy):
            policy = retry
        elif isinstance(retry, int) and not isinstance(retry, bool):
            policy = self.retry.with_max_retries(retry)
        else:
            raise TypeError(
                f"request_options['retry'] must be a RetryPolicy, int or None: {retry!r}"
            )
        return timeout, policy

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        request_options: Options = None,
    ) -> Any:
        timeout, policy = self._options(request_options)

        async def attempt(_: int) -> Any:
            return await self._transport.request(
                method, path, params=params, json=json, timeout=timeout
            )

        return await retry_call(attempt, policy, describe=f"{method} {path}")

    async def _fetch_operation(self, name: str) -> Operation:
        return Operation.from_wire(await self._call("GET", f"/{API_VERSION}/{name}"))

    async def _post_cancel(self, name: str) -> None:
        await self._call("POST", f"/{CANCEL_API_VERSION}/{name}:cancel", json={})

    def _wrap(self, op: Operation) -> TuningOperation:
        return TuningOperation(self, op, self.polling)

    # -- tuning ------------------------------------------------------------------------------
    async def create_tuned_model(
        self,
        source_model: Any,
        training_data: Any,
        *,
        id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        epoch_count: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        learning_rate_multiplier: float | None = None,
        input_key: str = "text_input",
        output_key: str = "output",
        request_options: Options = None,
    ) -> TuningOperation:
        """Start a tuning job; returns its :class:`TuningOperation` (``await`` it for the model).

        Arguments are checked locally first (``ValueError`` / ``TypeError`` say what to fix),
        and the training data's first batch is read before anything is sent (bad data raises
        :class:`~aiotune.DatasetError`). See the module docstring for exactly-once semantics.
        """
        body = build_tuned_model(
            source_model,
            display_name=display_name,
            description=description,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            epoch_count=epoch_count,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_multiplier=learning_rate_multiplier,
        )
        model_id = (
            validate_tuned_model_id(id) if id is not None else generate_tuned_model_id(display_name)
        )
        op = await send_create(
            self,
            body,
            model_id,
            training_data,
            input_key=input_key,
            output_key=output_key,
            request_options=request_options,
        )
        return self._wrap(op)

    async def create_many(
        self, jobs: Iterable[Mapping[str, Any]]
    ) -> list[TuningOperation | Exception]:
        """Start many jobs at once (each item holds ``create_tuned_model``'s arguments by name,
        ``source_model`` and ``training_data`` included). Returns one entry per item, in order:
        its operation, or the ``Exception`` its create raised. Cancellation propagates."""
        items = [dict(job) for job in jobs]
        results: list[TuningOperation | Exception] = [RuntimeError("not started")] * len(items)

        async def one(index: int, kwargs: dict[str, Any]) -> None:
            try:
                results[index] = await self.create_tuned_model(**kwargs)
            except Exception as exc:
                results[index] = exc

        async with anyio.create_task_group() as tg:
            for index, kwargs in enumerate(items):
                tg.start_soon(one, index, kwargs)
        return results

    async def get_operation(self, name: str, *, request_options: Options = None) -> TuningOperation:
        """Reattach to a job by its operation name (e.g. from another process)."""
        op_name = _operation_name(name)
        data = await self._call("GET", f"/{API_VERSION}/{op_name}", request_options=request_options)
        return self._wrap(Operation.from_wire(data))

    async def list_operations(
        self,
        tuned_model: Any,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        request_options: Options = None,
    ) -> AsyncIterator[TuningOperation]:
        """The operations of one tuned model (pages followed lazily)."""
        path = f"/{API_VERSION}/{tuned_model_name(tuned_model)}/operations"
        async for page in self._pages(path, page_size, filter, request_options):
            for op in ListOperationsResponse.from_wire(page).operations:
                yield self._wrap(op)

    # -- tuned models ------------------------------------------------------------------------
    async def get_tuned_model(self, name: Any, *, request_options: Options = None) -> TunedModel:
        path = f"/{API_VERSION}/{tuned_model_name(name)}"
        return TunedModel.from_wire(await self._call("GET", path, request_options=request_options))

    async def _pages(
        self,
        path: str,
        page_size: int | None,
        filter: str | None,
        request_options: Options,
    ) -> AsyncIterator[Any]:
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size must be >= 1, got {page_size!r}")
        token = ""
        while True:
            params: dict[str, str | int] = {}
            if page_size is not None:
                params["pageSize"] = page_size
            if filter:
                params["filter"] = filter
            if token:
                params["pageToken"] = token
            page = await self._call("GET", path, params=params, request_options=request_options)
            yield page
            token = page.get("nextPageToken", "") if isinstance(page, dict) else ""
            if not token:
                return

    async def list_tuned_models(
        self,
        *,
        page_size: int | None = None,
        filter: str | None = None,
        request_options: Options = None,
    ) -> AsyncIterator[TunedModel]:
        """Your tuned models; pages are fetched lazily as you iterate."""
        path = f"/{API_VERSION}/tunedModels"
        async for page in self._pages(path, page_size, filter, request_options):
            for model in ListTunedModelsResponse.from_wire(page).tuned_models:
                yield model

    async def update_tuned_model(
        self,
        name: Any,
        updates: Mapping[str, Any],
        *,
        request_options: Options = None,
    ) -> TunedModel:
        """Patch fields, nested (``{"tuning_task": {...}}``) or dotted (``"a.b"``), snake_case or
        camelCase; the ``updateMask`` lists exactly the paths given (in camelCase)."""
        if not isinstance(updates, Mapping):
            raise TypeError(f"updates must be a dict of fields, got {type(updates).__name__}")
        flat = _flatten(updates)
        if not flat:
            raise ValueError(
                "updates is empty: pass the fields to change, e.g. {'description': 'x'}"
            )
        body: dict[str, Any] = {}
        mask: list[str] = []
        for path, value in flat:
            parts = [to_camel(p) for p in path.split(".")]
            if parts[0] == "name":
                raise ValueError("the name of a tuned model cannot be updated")
            mask.append(".".join(parts))
            node = body
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        data = await self._call(
            "PATCH",
            f"/{API_VERSION}/{tuned_model_name(name)}",
            params={"updateMask": ",".join(mask)},
            json=body,
            request_options=request_options,
        )
        return TunedModel.from_wire(data)

    async def delete_tuned_model(self, name: Any, *, request_options: Options = None) -> None:
        path = f"/{API_VERSION}/{tuned_model_name(name)}"
        await self._call("DELETE", path, request_options=request_options)

    # -- base models -------------------------------------------------------------------------
    async def get_model(self, name: Any, *, request_options: Options = None) -> Model:
        """A base model (``models/x`` or ``x``); use ``get_tuned_model`` for tuned models."""
        model = _model_name(name)
        if not model.startswith("models/"):
            raise ValueError(f"{model!r} is not a base model name; use get_tuned_model()")
        return Model.from_wire(
            await self._call("GET", f"/{API_VERSION}/{model}", request_options=request_options)
        )

    async def list_models(
        self,
        *,
        page_size: int | None = None,
        request_options: Options = None,
    ) -> AsyncIterator[Model]:
        async for page in self._pages(f"/{API_VERSION}/models", page_size, None, request_options):
            for model in ListModelsResponse.from_wire(page).models:
                yield model

    # -- inference ---------------------------------------------------------------------------
    async def generate_content(
        self,
        model: Any,
        contents: str | list[Any] | GenerateContentRequest | Mapping[str, Any],
        *,
        generation_config: Mapping[str, Any] | None = None,
        request_options: Options = None,
    ) -> GenerateContentResponse:
        """``POST /v1beta/{model}:generateContent``; ``contents`` may be a plain prompt."""
        if isinstance(contents, GenerateContentRequest):
            body = contents.to_wire()
        elif isinstance(contents, Mapping):
            body = dict(contents)
        elif isinstance(contents, str):
            body = {"contents": [{"parts": [{"text": contents}], "role": "user"}]}
        else:
            body = GenerateContentRequest.model_validate({"contents": contents}).to_wire()
        if generation_config:
            body["generationConfig"] = dict(generation_config)
        path = f"/{API_VERSION}/{_model_name(model)}:generateContent"
        data = await self._call("POST", path, json=body, request_options=request_options)
        return GenerateContentResponse.from_wire(data)

    async def _uses_generate_text(self, model: str, request_options: Options) -> bool:
        if model.startswith("models/"):
            return _is_palm(model)
        if model not in self._palm_bases:
            tuned = await self.get_tuned_model(model, request_options=request_options)
            base = tuned.base_model or (
                tuned.tuned_model_source.base_model if tuned.tuned_model_source else ""
            )
            if len(self._palm_bases) > 1024:
                self._palm_bases.clear()
            self._palm_bases[model] = _is_palm(base or "")
        return self._palm_bases[model]

    async def generate_text(
        self,
        model: Any,
        prompt: str,
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        max_output_tokens: int | None = None,
        request_options: Options = None,
    ) -> str:
        """Ask a (tuned) model and return the text of the first candidate ("" if none).

        Gemini-based models are called with ``:generateContent``; legacy PaLM models
        (``*-bison-*``) with ``:generateText``. For a tuned model the base is looked up once
        (one ``GET``) and remembered.
        """
        name = _model_name(model)
        config = {
            k: v
            for k, v in (
                ("temperature", temperature),
                ("topP", top_p),
                ("topK", top_k),
                ("maxOutputTokens", max_output_tokens),
            )
            if v is not None
        }
        if await self._uses_generate_text(name, request_options):
            body: dict[str, Any] = {"prompt": {"text": prompt}, **config}
            data = await self._call(
                "POST",
                f"/{API_VERSION}/{name}:generateText",
                json=body,
                request_options=request_options,
            )
            return GenerateTextResponse.from_wire(data).text
        response = await self.generate_content(
            name, prompt, generation_config=config or None, request_options=request_options
        )
        return response.text

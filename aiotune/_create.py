"""Building and checking a create-tuned-model request before anything is sent.

Local argument errors are plain ``ValueError`` (a bad value: id, display name, ranges) or
``TypeError`` (a bad type), each saying what to fix; they never reach the network. Errors the
server reports are :class:`~aiotune.BadRequestError` and friends.

Ids: when no ``id`` is given, one is generated client-side the way the service does it
(display-name words, lowercased and hyphen-joined, plus a random 12-char ``[a-z0-9]`` suffix),
so that a retried create carries the same ``tunedModelId`` and can never start a second job.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
import unicodedata
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any

from ._constants import API_VERSION, LOGGER_NAME, TUNED_MODEL_ID_PATTERN
from ._exceptions import ConflictError
from ._retry import retry_call
from .types import ListOperationsResponse, Operation

if TYPE_CHECKING:
    from ._client import AsyncClient

log = logging.getLogger(LOGGER_NAME)

__all__ = [
    "build_tuned_model",
    "generate_tuned_model_id",
    "resolve_source_model",
    "send_create",
    "tuned_model_name",
    "validate_tuned_model_id",
]

_ID_RE = re.compile(TUNED_MODEL_ID_PATTERN)
_ALNUM = string.ascii_lowercase + string.digits
_SUFFIX_LEN = 12
_MAX_ID = 40
_MAX_DISPLAY_NAME = 40


def generate_tuned_model_id(display_name: str | None = None) -> str:
    """A fresh id valid for the id regex, e.g. ``my-model-k3x9q2m7p1zd`` (12-char suffix)."""
    suffix = "".join(secrets.choice(_ALNUM) for _ in range(_SUFFIX_LEN))
    prefix = ""
    if display_name:
        ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
        prefix = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower())
        prefix = re.sub(r"^[^a-z]+", "", prefix)  # must start with a letter
        prefix = prefix[: _MAX_ID - _SUFFIX_LEN - 1].rstrip("-")
    if not prefix:
        return secrets.choice(string.ascii_lowercase) + suffix[1:]
    return f"{prefix}-{suffix}"


def validate_tuned_model_id(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"id must be a str, got {type(value).__name__}")
    if not _ID_RE.fullmatch(value):  # not .match: '$' would accept a trailing newline
        raise ValueError(
            f"invalid tuned model id {value!r}: use 1-40 characters of lowercase letters, digits "
            "and hyphens, starting with a letter and not ending with a hyphen "
            "(e.g. 'my-model-1')"
        )
    return value


def tuned_model_name(name: Any) -> str:
    """``tunedModels/{id}`` from an id, a full name or an object with ``.name``."""
    raw = getattr(name, "name", name)
    if not isinstance(raw, str) or not raw:
        raise TypeError(f"expected a tuned model name (str) or a TunedModel, got {name!r}")
    if raw.startswith("tunedModels/"):
        return raw
    if "/" in raw:
        raise ValueError(f"invalid tuned model name {raw!r}: expected 'tunedModels/<id>'")
    return f"tunedModels/{raw}"


def resolve_source_model(source_model: Any) -> dict[str, Any]:
    """``models/x`` or ``x`` -> ``{"baseModel": "models/x"}``; ``tunedModels/x`` ->
    ``{"tunedModelSource": {"tunedModel": "tunedModels/x"}}``. Objects with ``.name`` work."""
    raw = getattr(source_model, "name", source_model)
    if not isinstance(raw, str):
        raise TypeError(
            "source_model must be a model name (str) or an object with a .name (Model, "
            f"TunedModel), got {type(source_model).__name__}"
        )
    if not raw:
        raise ValueError("source_model is empty: pass e.g. 'models/gemini-1.5-flash-001-tuning'")
    if "/" not in raw:
        raw = f"models/{raw}"
    if raw.startswith("models/"):
        return {"baseModel": raw}
    if raw.startswith("tunedModels/"):
        return {"tunedModelSource": {"tunedModel": raw}}
    raise ValueError(
        f"invalid source_model {raw!r}: model names start with 'models/' or 'tunedModels/'"
    )


def _positive(name: str, value: Any, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise TypeError(
            f"{name} must be {'a number' if kind is float else 'an int'}, got {value!r}"
        )
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return kind(value)


def _in_range(name: str, value: Any, low: float, high: float | None, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise TypeError(
            f"{name} must be {'a number' if kind is float else 'an int'}, got {value!r}"
        )
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be within {bound}, got {value!r}")
    return kind(value)


def build_tuned_model(
    source_model: Any,
    *,
    display_name: str | None = None,
    description: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    epoch_count: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    learning_rate_multiplier: float | None = None,
) -> dict[str, Any]:
    """The ``TunedModel`` wire dict of a create request, without ``trainingData``."""
    body: dict[str, Any] = dict(resolve_source_model(source_model))
    if display_name is not None:
        if not isinstance(display_name, str):
            raise TypeError(f"display_name must be a str, got {type(display_name).__name__}")
        if len(display_name) > _MAX_DISPLAY_NAME:
            raise ValueError(
                f"display_name is {len(display_name)} characters; the API allows at most "
                f"{_MAX_DISPLAY_NAME} (including spaces): shorten it"
            )
        if display_name:
            body["displayName"] = display_name
    if description:
        body["description"] = str(description)
    if learning_rate is not None and learning_rate_multiplier is not None:
        raise ValueError(
            "pass learning_rate or learning_rate_multiplier, not both (they are one oneof)"
        )
    hyper: dict[str, Any] = {}
    for key, value in (
        ("epochCount", _positive("epoch_count", epoch_count, int)),
        ("batchSize", _positive("batch_size", batch_size, int)),
        ("learningRate", _positive("learning_rate", learning_rate, float)),
        (
            "learningRateMultiplier",
            _positive("learning_rate_multiplier", learning_rate_multiplier, float),
        ),
    ):
        if value is not None:
            hyper[key] = value
    body["tuningTask"] = {"hyperparameters": hyper}
    for key, value in (
        ("temperature", _in_range("temperature", temperature, 0.0, 2.0, float)),
        ("topP", _in_range("top_p", top_p, 0.0, 1.0, float)),
        ("topK", _in_range("top_k", top_k, 1, None, int)),
    ):
        if value is not None:
            body[key] = value
    return body


async def send_create(
    client: AsyncClient,
    body: dict[str, Any],
    model_id: str,
    training_data: Any,
    *,
    input_key: str,
    output_key: str,
    request_options: Mapping[str, Any] | None,
) -> Operation:
    """POST the create with retries; adopt the landed job on a 409 after a retried attempt.

    The body is rebuilt from the training data for each attempt when the source is replayable.
    A one-shot source is reused only while none of it has been sent; once its body has started
    to stream, a failure is final (never retried).
    """
    from .datasets import open_training_data, stream_create_body

    timeout, policy = client._options(request_options)
    source = open_training_data(
        training_data,
        input_key=input_key,
        output_key=output_key,
        http_client=client._transport.http_client(),
    )
    path = f"/{API_VERSION}/tunedModels"
    streamed = False
    pending: Any = None  # a built but unsent body (reused when the source is one-shot)

    async def tracked(content: Any) -> AsyncGenerator[bytes, None]:
        nonlocal streamed
        chunks = content.__aiter__()
        try:
            async for chunk in chunks:
                streamed = True
                yield chunk
        finally:  # an aborted upload closes the dataset reader now, not at GC
            await chunks.aclose()

    async def attempt(number: int) -> Operation:
        nonlocal pending
        if pending is None or source.replayable:
            pending = await stream_create_body(body, source)
        content = tracked(pending)
        try:
            data = await client._transport.request(
                "POST",
                path,
                params={"tunedModelId": model_id},
                content=content,
                timeout=timeout,
            )
        except ConflictError:
            if number > 1:
                return await adopt_operation(client, model_id, request_options)
            raise
        finally:  # release the reader now (a file, a download), not at garbage collection
            await content.aclose()
            if source.replayable or streamed:
                await pending.aclose()
        return Operation.from_wire(data)

    def can_retry(_: BaseException) -> bool:
        return source.replayable or not streamed

    async def bounded(number: int) -> Operation:
        # open the dataset only once this create may upload: a fan-out of thousands of
        # creates holds at most max_in_flight files or downloads open at once
        async with client._transport.upload_slots():
            return await attempt(number)

    try:
        return await retry_call(bounded, policy, describe=f"POST {path}", can_retry=can_retry)
    finally:
        if pending is not None:
            await pending.aclose()


async def adopt_operation(
    client: AsyncClient, model_id: str, request_options: Mapping[str, Any] | None
) -> Operation:
    """After a retried create got 409: the earlier attempt landed; return its operation."""
    data = await client._call(
        "GET",
        f"/{API_VERSION}/tunedModels/{model_id}/operations",
        request_options=request_options,
    )
    ops = ListOperationsResponse.from_wire(data).operations
    if not ops:
        raise ConflictError(
            f"tunedModels/{model_id} already exists and has no operation to adopt",
            status_code=409,
            status="ALREADY_EXISTS",
            method="POST",
            path=f"/{API_VERSION}/tunedModels",
        )
    log.info(
        "create of tunedModels/%s was retried and had landed: adopting %s", model_id, ops[0].name
    )
    return ops[0]

"""Module-level mirrors (``aiotune.create_tuned_model(...)`` etc.) over a lazy default client.

The default :class:`~aiotune.AsyncClient` is built from the environment (``GOOGLE_API_KEY`` /
``GEMINI_API_KEY``, ``AIOTUNE_BASE_URL``) on first use. An ``AsyncClient`` is bound to the event
loop that first used it, so when a mirror is called from a *new* loop (a second
``asyncio.run()``) a fresh default client is made (the old one's connections belonged to the
finished loop and cannot be closed from this one). Long-lived applications should create their
own ``AsyncClient`` and pass ``client=``. ``await aiotune.aclose_default_client()`` closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from ._client import AsyncClient, Options
from ._operation import TuningOperation
from .types import Model, TunedModel

__all__ = [
    "aclose_default_client",
    "create_tuned_model",
    "delete_tuned_model",
    "generate_text",
    "get_default_client",
    "get_model",
    "get_operation",
    "get_tuned_model",
    "list_models",
    "list_tuned_models",
    "update_tuned_model",
]

_default: AsyncClient | None = None


def get_default_client() -> AsyncClient:
    """The default client for the running loop (created on first use)."""
    global _default
    if _default is None or _default.closed or _default._transport.bound_elsewhere():
        _default = AsyncClient()
    return _default


async def aclose_default_client() -> None:
    """Close the default client (if it was used from this loop)."""
    global _default
    client, _default = _default, None
    if client is not None and not client._transport.bound_elsewhere():
        await client.aclose()


def _pick(client: AsyncClient | None) -> AsyncClient:
    return client if client is not None else get_default_client()


async def create_tuned_model(
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
    client: AsyncClient | None = None,
    request_options: Options = None,
) -> TuningOperation:
    """The seed's ``create_tuned_model``, async; see :meth:`AsyncClient.create_tuned_model`."""
    return await _pick(client).create_tuned_model(
        source_model,
        training_data,
        id=id,
        display_name=display_name,
        description=description,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        epoch_count=epoch_count,
        batch_size=batch_size,
        learning_rate=learning_rate,
        learning_rate_multiplier=learning_rate_multiplier,
        input_key=input_key,
        output_key=output_key,
        request_options=request_options,
    )


async def get_operation(
    name: str, *, client: AsyncClient | None = None, request_options: Options = None
) -> TuningOperation:
    return await _pick(client).get_operation(name, request_options=request_options)


async def get_tuned_model(
    name: Any, *, client: AsyncClient | None = None, request_options: Options = None
) -> TunedModel:
    return await _pick(client).get_tuned_model(name, request_options=request_options)


async def list_tuned_models(
    *,
    page_size: int | None = None,
    filter: str | None = None,
    client: AsyncClient | None = None,
    request_options: Options = None,
) -> AsyncIterator[TunedModel]:
    async for model in _pick(client).list_tuned_models(
        page_size=page_size, filter=filter, request_options=request_options
    ):
        yield model


async def update_tuned_model(
    name: Any,
    updates: Mapping[str, Any],
    *,
    client: AsyncClient | None = None,
    request_options: Options = None,
) -> TunedModel:
    return await _pick(client).update_tuned_model(name, updates, request_options=request_options)


async def delete_tuned_model(
    name: Any, *, client: AsyncClient | None = None, request_options: Options = None
) -> None:
    await _pick(client).delete_tuned_model(name, request_options=request_options)


async def get_model(
    name: Any, *, client: AsyncClient | None = None, request_options: Options = None
) -> Model:
    return await _pick(client).get_model(name, request_options=request_options)


async def list_models(
    *,
    page_size: int | None = None,
    client: AsyncClient | None = None,
    request_options: Options = None,
) -> AsyncIterator[Model]:
    async for model in _pick(client).list_models(
        page_size=page_size, request_options=request_options
    ):
        yield model


async def generate_text(
    model: Any,
    prompt: str,
    *,
    client: AsyncClient | None = None,
    request_options: Options = None,
    **config: Any,
) -> str:
    return await _pick(client).generate_text(
        model, prompt, request_options=request_options, **config
    )

"""aiotune: an async-first SDK for Google's model-tuning API (``tunedModels``, v1beta).

::

    async with aiotune.AsyncClient() as client:
        op = await client.create_tuned_model("models/gemini-1.5-flash-001-tuning", data)
        async for p in op.watch():
            print(p)
        model = await op

Only this module's ``__all__`` is public. ``import aiotune`` loads only the exceptions; the rest
(and httpx, pydantic, anyio, tenacity) loads when first used. No optional dependency (pandas,
starlette, uvicorn, typer, rich) is imported until a feature needs it. (httpx itself imports
rich for its own CLI when rich is installed.)
"""

import importlib as _importlib
import typing as _typing

from ._exceptions import (
    AiotuneError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DatasetError,
    InternalServerError,
    NotFoundError,
    OperationCancelledError,
    OperationTimeoutError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    TuningFailedError,
)

if _typing.TYPE_CHECKING:
    from . import types
    from ._client import AsyncClient, RequestOptions
    from ._constants import NOT_GIVEN, NotGiven
    from ._default import (
        aclose_default_client,
        create_tuned_model,
        delete_tuned_model,
        generate_text,
        get_default_client,
        get_model,
        get_operation,
        get_tuned_model,
        list_models,
        list_tuned_models,
        update_tuned_model,
    )
    from ._display import show_progress
    from ._operation import TuningOperation
    from ._progress import TuningProgress
    from ._retry import PollingPolicy, RetryPolicy
    from ._sync import Client, SyncTuningOperation
    from .datasets import validate_training_data
    from .types import Model, TunedModel, TunedModelState

__version__ = "0.1.0"

# Everything but the exceptions loads on first use, so that ``import aiotune`` costs little
# (httpx, pydantic, anyio and tenacity load with the first client or type you touch).
_LAZY_FROM = {
    "._client": ("AsyncClient", "RequestOptions"),
    "._constants": ("NOT_GIVEN", "NotGiven"),
    "._default": (
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
    ),
    "._display": ("show_progress",),
    "._operation": ("TuningOperation",),
    "._progress": ("TuningProgress",),
    "._retry": ("PollingPolicy", "RetryPolicy"),
    "._sync": ("Client", "SyncTuningOperation"),
    ".datasets": ("validate_training_data",),
    ".types": ("Model", "TunedModel", "TunedModelState"),
}
_LAZY = {"types": ".types"} | {n: module for module, names in _LAZY_FROM.items() for n in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiotune' has no attribute {name!r}")
    loaded = _importlib.import_module(module, __name__)
    value = loaded if name == "types" else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AiotuneError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "DatasetError",
    "InternalServerError",
    "Model",
    "NotFoundError",
    "NotGiven",
    "OperationCancelledError",
    "OperationTimeoutError",
    "PermissionDeniedError",
    "PollingPolicy",
    "RateLimitError",
    "RequestOptions",
    "RetryPolicy",
    "ServiceUnavailableError",
    "SyncTuningOperation",
    "TunedModel",
    "TunedModelState",
    "TuningFailedError",
    "TuningOperation",
    "TuningProgress",
    "__version__",
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
    "show_progress",
    "types",
    "update_tuned_model",
    "validate_training_data",
]

"""aiotune: an async-first SDK for Google's model-tuning API (``tunedModels``, v1beta).

::

    async with aiotune.AsyncClient() as client:
        op = await client.create_tuned_model("models/gemini-1.5-flash-001-tuning", data)
        async for p in op.watch():
            print(p)
        model = await op

Only this module's ``__all__`` is public. aiotune imports no optional dependency at import time
(pandas, starlette, uvicorn, typer, rich); the emulator and the dataset readers load on use.
(httpx itself imports rich for its own CLI when rich is installed.)
"""

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
from ._operation import TuningOperation
from ._progress import TuningProgress
from ._retry import PollingPolicy, RetryPolicy
from ._sync import Client, SyncTuningOperation
from .types import Model, TunedModel, TunedModelState

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Loaded on first use so that ``import aiotune`` stays light.
    if name == "validate_training_data":
        from .datasets import validate_training_data

        return validate_training_data
    raise AttributeError(f"module 'aiotune' has no attribute {name!r}")


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

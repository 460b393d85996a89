"""Pydantic v2 models of the Generative Language API v1beta tuning resources.

Shared by the client and the emulator. See :mod:`aiotune.types._base` for the JSON rules.
"""

from ._base import ProtoEnum, WireModel, format_timestamp
from .error import CANONICAL_CODES, HTTP_STATUS_OF, ErrorBody, ErrorEnvelope
from .generate import (
    Candidate,
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerateTextRequest,
    GenerateTextResponse,
    Part,
    TextCompletion,
    TextPrompt,
    UsageMetadata,
)
from .model import ListModelsResponse, ListTunedModelsResponse, Model
from .operation import (
    METADATA_TYPE_URL,
    TUNED_MODEL_TYPE_URL,
    CreateTunedModelMetadata,
    ListOperationsResponse,
    Operation,
    Status,
)
from .tuned_model import (
    Dataset,
    Hyperparameters,
    TunedModel,
    TunedModelSource,
    TunedModelState,
    TuningExample,
    TuningExamples,
    TuningSnapshot,
    TuningTask,
)

__all__ = [
    "CANONICAL_CODES",
    "HTTP_STATUS_OF",
    "METADATA_TYPE_URL",
    "TUNED_MODEL_TYPE_URL",
    "Candidate",
    "Content",
    "CreateTunedModelMetadata",
    "Dataset",
    "ErrorBody",
    "ErrorEnvelope",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerateTextRequest",
    "GenerateTextResponse",
    "Hyperparameters",
    "ListModelsResponse",
    "ListOperationsResponse",
    "ListTunedModelsResponse",
    "Model",
    "Operation",
    "Part",
    "ProtoEnum",
    "Status",
    "TextCompletion",
    "TextPrompt",
    "TunedModel",
    "TunedModelSource",
    "TunedModelState",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
    "UsageMetadata",
    "WireModel",
    "format_timestamp",
]

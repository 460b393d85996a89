"""google.longrunning.Operation with CreateTunedModelMetadata, and google.rpc.Status."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ._base import WireModel
from .tuned_model import TunedModel, TuningSnapshot

__all__ = [
    "METADATA_TYPE_URL",
    "TUNED_MODEL_TYPE_URL",
    "CreateTunedModelMetadata",
    "ListOperationsResponse",
    "Operation",
    "Status",
]

METADATA_TYPE_URL = (
    "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
)
TUNED_MODEL_TYPE_URL = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"


class Status(WireModel):
    """google.rpc.Status: ``code`` is the gRPC canonical code (1 = CANCELLED, 13 = INTERNAL...)."""

    code: int = 0
    message: str = ""
    details: list[dict[str, Any]] = Field(default_factory=list)


class CreateTunedModelMetadata(WireModel):
    total_steps: int = 0
    completed_steps: int = 0
    completed_percent: float = 0.0
    snapshots: list[TuningSnapshot] = Field(default_factory=list)
    tuned_model: str = ""


def _strip_type(value: Any) -> Any:
    if isinstance(value, dict) and "@type" in value:
        return {k: v for k, v in value.items() if k != "@type"}
    return value


class Operation(WireModel):
    name: str = ""
    metadata: CreateTunedModelMetadata | None = None
    done: bool = False
    error: Status | None = None
    response: TunedModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _unpack_any(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("metadata", "response"):
                if key in data:
                    data[key] = _strip_type(data[key])
        return data

    def to_wire(self, *, enum_int: bool = False) -> dict[str, Any]:
        out = super().to_wire(enum_int=enum_int)
        if self.metadata is not None:
            out["metadata"] = {"@type": METADATA_TYPE_URL, **out.get("metadata", {})}
        if self.response is not None:
            out["response"] = {"@type": TUNED_MODEL_TYPE_URL, **out.get("response", {})}
        return out

    @property
    def tuned_model_name(self) -> str:
        """``tunedModels/{id}`` this operation belongs to."""
        if self.metadata is not None and self.metadata.tuned_model:
            return self.metadata.tuned_model
        return self.name.partition("/operations/")[0]


class ListOperationsResponse(WireModel):
    operations: list[Operation] = Field(default_factory=list)
    next_page_token: str = ""

    def to_wire(self, *, enum_int: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.operations:
            out["operations"] = [op.to_wire(enum_int=enum_int) for op in self.operations]
        if self.next_page_token:
            out["nextPageToken"] = self.next_page_token
        return out

"""Base models (models.proto) and the list responses."""

from __future__ import annotations

from pydantic import Field

from ._base import WireModel
from .tuned_model import TunedModel

__all__ = ["ListModelsResponse", "ListTunedModelsResponse", "Model"]


class Model(WireModel):
    name: str = ""
    base_model_id: str = ""
    version: str = ""
    display_name: str = ""
    description: str = ""
    input_token_limit: int = 0
    output_token_limit: int = 0
    supported_generation_methods: list[str] = Field(default_factory=list)
    temperature: float | None = None
    max_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None


class ListModelsResponse(WireModel):
    models: list[Model] = Field(default_factory=list)
    next_page_token: str = ""


class ListTunedModelsResponse(WireModel):
    tuned_models: list[TunedModel] = Field(default_factory=list)
    next_page_token: str = ""

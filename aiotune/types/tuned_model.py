"""TunedModel and everything nested in it (tuned_model.proto, v1beta)."""

from __future__ import annotations

from pydantic import Field

from ._base import Int64, ProtoEnum, Timestamp, WireModel, enum_field

__all__ = [
    "Dataset",
    "Hyperparameters",
    "TunedModel",
    "TunedModelSource",
    "TunedModelState",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]


class TunedModelState(ProtoEnum):
    STATE_UNSPECIFIED = 0
    CREATING = 1
    ACTIVE = 2
    FAILED = 3


class TuningExample(WireModel):
    text_input: str | None = None
    output: str = ""


class TuningExamples(WireModel):
    examples: list[TuningExample] = Field(default_factory=list)


class Dataset(WireModel):
    examples: TuningExamples | None = None


class Hyperparameters(WireModel):
    epoch_count: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    learning_rate_multiplier: float | None = None


class TuningSnapshot(WireModel):
    step: int = 0
    epoch: int = 0
    mean_loss: float = 0.0
    compute_time: Timestamp | None = None


class TuningTask(WireModel):
    start_time: Timestamp | None = None
    complete_time: Timestamp | None = None
    snapshots: list[TuningSnapshot] = Field(default_factory=list)
    training_data: Dataset | None = None
    hyperparameters: Hyperparameters | None = None


class TunedModelSource(WireModel):
    tuned_model: str = ""
    base_model: str = ""


class TunedModel(WireModel):
    name: str = ""
    tuned_model_source: TunedModelSource | None = None
    base_model: str | None = None
    display_name: str = ""
    description: str = ""
    state: enum_field(TunedModelState) = TunedModelState.STATE_UNSPECIFIED  # type: ignore[valid-type]
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    tuning_task: TuningTask | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    reader_project_numbers: list[Int64] = Field(default_factory=list)

    @property
    def id(self) -> str:
        """The id part of ``name`` (``tunedModels/{id}``)."""
        return self.name.partition("/")[2]

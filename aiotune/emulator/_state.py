"""The emulator's store: base models, tuned models per owner, create / patch / cancel.

Every mutation is synchronous (no ``await`` between a check and the write), so concurrent
requests can never both create one id: exactly one wins, the others get 409 ALREADY_EXISTS.
Nothing here is bound to an event loop, so one store serves asyncio, trio and worker threads.

Names are global (like the real ``tunedModels/{id}`` namespace); ownership is per credential:
each owner (an API key or a bearer token) sees only its own tuned models. Another owner's model
and a missing one both answer 403 PERMISSION_DENIED with the real message, as the real service
does (tuning-api.md §2, §9): a caller cannot probe which ids exist.
Validation rules live in :mod:`._validation`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..types import Hyperparameters, Model, TunedModelSource, TunedModelState
from ._simulation import Clock, Job
from ._validation import (
    ID_RE,
    ApiError,
    bad,
    check_unknown,
    id_from_display_name,
    number_field,
    parse_examples,
    positive,
    project_numbers,
    random_id,
    random_model_id,
    text_field,
)

__all__ = ["BASE_MODELS", "ApiError", "Store", "bad"]

_FAIL_TAG = re.compile(r"\[fail@(\d+)\]")
_MODEL_KEYS = frozenset(
    {"displayName", "description", "baseModel", "tunedModelSource", "temperature", "topP",
     "topK", "tuningTask", "readerProjectNumbers", "name", "state", "createTime", "updateTime"}
)  # fmt: skip
_TASK_KEYS = frozenset(
    {"trainingData", "hyperparameters", "startTime", "completeTime", "snapshots"}
)
_HP_KEYS = frozenset({"learningRate", "learningRateMultiplier", "epochCount", "batchSize"})
_MUTABLE = {"displayName": "display_name", "description": "description",
            "temperature": "temperature", "topP": "top_p", "topK": "top_k",
            "readerProjectNumbers": "reader_project_numbers"}  # fmt: skip

_TUNING = ["generateContent", "countTokens", "createTunedModel"]
BASE_MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model(
            name="models/gemini-1.5-flash-001-tuning",
            version="001",
            display_name="Gemini 1.5 Flash 001 Tuning",
            description="Version of Gemini 1.5 Flash that supports tuning.",
            input_token_limit=16384,
            output_token_limit=8192,
            supported_generation_methods=_TUNING,
            temperature=1.0,
            top_p=0.95,
            top_k=64,
            max_temperature=2.0,
        ),
        Model(
            name="models/gemini-1.0-pro-001",
            version="001",
            display_name="Gemini 1.0 Pro 001 (Tuning)",
            description="The best model for scaling across a wide range of tasks.",
            input_token_limit=30720,
            output_token_limit=2048,
            supported_generation_methods=_TUNING,
            temperature=0.9,
            top_p=1.0,
            top_k=1,
        ),
        Model(
            name="models/text-bison-001",
            version="001",
            display_name="PaLM 2 (Legacy)",
            description="A legacy model that understands text and generates text as an output.",
            input_token_limit=8196,
            output_token_limit=1024,
            supported_generation_methods=[
                "generateText",
                "countTextTokens",
                "createTunedTextModel",
            ],
            temperature=0.7,
            top_p=0.95,
            top_k=40,
        ),
        Model(
            name="models/gemini-1.5-flash-001",
            version="001",
            display_name="Gemini 1.5 Flash 001",
            description="Fast and versatile multimodal model (not tunable).",
            input_token_limit=1000000,
            output_token_limit=8192,
            supported_generation_methods=["generateContent", "countTokens"],
            temperature=1.0,
            top_p=0.95,
            top_k=64,
            max_temperature=2.0,
        ),
    )
}


@dataclass
class Store:
    """All tuned models of one emulator, keyed by id."""

    clock: Clock
    step_time: float
    fail_at_step: int | None = None
    max_input_chars: int = 40_000
    max_output_chars: int = 5_000
    training_failure: Callable[[], int | None] | None = None

    def __post_init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    # -- lookups -------------------------------------------------------------------------------
    def job(self, owner: str, model_id: str) -> Job:
        """``owner``'s job. Like the real service, a tuned model that does not exist and one of
        another caller both answer 403 PERMISSION_DENIED (tuning-api.md §2), never 404."""
        job = self.jobs.get(model_id)
        if job is None or job.owner != owner:
            raise ApiError(
                "PERMISSION_DENIED",
                f"You do not have permission to access tuned model tunedModels/{model_id}.",
            )
        return job

    def owned(self, owner: str) -> list[Job]:
        return [j for j in self.jobs.values() if j.owner == owner]

    def base_model(self, name: str) -> Model:
        model = BASE_MODELS.get(name)
        if model is None:
            raise ApiError(
                "NOT_FOUND", f"models/{name.partition('/')[2]} is not found for API version v1beta."
            )
        return model

    # -- create --------------------------------------------------------------------------------
    def _source(self, owner: str, body: dict[str, Any]) -> tuple[Model, TunedModelSource | None]:
        base_name, source = body.get("baseModel"), body.get("tunedModelSource")
        if base_name and source:
            raise bad("Only one of base_model and tuned_model_source may be set.")
        if not base_name and not source:
            raise bad("One of base_model or tuned_model_source is required.")
        if source:
            if not isinstance(source, dict) or not isinstance(source.get("tunedModel"), str):
                raise bad("tuned_model_source.tuned_model is required.")
            check_unknown(source, frozenset({"tunedModel", "baseModel"}), "tuned_model_source")
            parent = self.job(owner, source["tunedModel"].partition("/")[2])
            root = parent.base_model or (parent.source.base_model if parent.source else "")
            return BASE_MODELS[root], TunedModelSource(tuned_model=parent.name, base_model=root)
        base = BASE_MODELS.get(base_name) if isinstance(base_name, str) else None
        if base is None:
            raise bad(f"Base model {base_name} is not found or does not support tuning.")
        methods = base.supported_generation_methods
        if "createTunedModel" not in methods and "createTunedTextModel" not in methods:
            raise bad(f"Base model {base.name} does not support tuning (createTunedModel).")
        return base, None

    def create(self, owner: str, body: dict[str, Any], model_id: str | None) -> Job:
        """Validate and commit a create (400 / 403 / 404 / 409 as the service answers)."""
        check_unknown(body, _MODEL_KEYS, "tuned_model")
        display, description = text_field(body, "displayName"), text_field(body, "description")
        if len(display) > 40:
            raise bad("The display_name must be at most 40 characters.")
        if model_id is not None and not ID_RE.match(model_id):
            raise bad(
                f"Invalid tuned_model_id {model_id!r}: it must be up to 40 characters of lowercase "
                "letters, digits and hyphens, start with a letter and not end with a hyphen."
            )
        base, source = self._source(owner, body)
        task = body.get("tuningTask")
        if not isinstance(task, dict):
            raise bad("tuned_model.tuning_task is required.")
        check_unknown(task, _TASK_KEYS, "tuned_model.tuning_task")
        hp = task.get("hyperparameters") or {}
        if not isinstance(hp, dict):
            raise bad("tuning_task.hyperparameters must be an object.")
        check_unknown(hp, _HP_KEYS, "tuned_model.tuning_task.hyperparameters")
        if hp.get("learningRate") is not None and hp.get("learningRateMultiplier") is not None:
            raise bad(
                'Invalid JSON payload received. Multiple values for oneof "learning_rate_option": '
                "learning_rate and learning_rate_multiplier."
            )
        temperature = number_field(body, "temperature", 0.0, base.max_temperature or 1.0)
        top_p = number_field(body, "topP", 0.0, 1.0)
        top_k = number_field(body, "topK", 0, 2**31 - 1, integer=True)
        readers = project_numbers(body)
        multiplier = positive(hp, "learningRateMultiplier", float)
        rate = positive(hp, "learningRate", float)
        hyper = Hyperparameters(
            epoch_count=positive(hp, "epochCount", int) or 5,
            batch_size=positive(hp, "batchSize", int) or 4,
            learning_rate=rate if rate is not None or multiplier is not None else 0.001,
            learning_rate_multiplier=multiplier,
        )
        limits = (self.max_input_chars, self.max_output_chars)
        examples = parse_examples(task.get("trainingData"), limits)
        if model_id is None:
            model_id = id_from_display_name(display) if display else random_model_id()
        if model_id in self.jobs:
            raise ApiError("ALREADY_EXISTS", f"Tuned model tunedModels/{model_id} already exists.")
        tag = _FAIL_TAG.search(display) or _FAIL_TAG.search(description)
        scheduled = self.training_failure() if self.training_failure else None
        job = Job(
            id=model_id,
            op_id=random_id(12),
            owner=owner,
            fields={
                "display_name": display,
                "description": description,
                "temperature": base.temperature if temperature is None else temperature,
                "top_p": base.top_p if top_p is None else top_p,
                "top_k": base.top_k if top_k is None else top_k,
                "reader_project_numbers": readers,
            },
            base_model=None if source else base.name,
            source=source,
            hyperparameters=hyper,
            examples=examples,
            created=self.clock.time(),
            step_time=self.step_time,
            fail_at=int(tag.group(1)) if tag else scheduled or self.fail_at_step,
        )
        self.jobs[model_id] = job
        return job

    # -- patch / cancel ---------------------------------------------------------------------------
    def patch(self, job: Job, body: dict[str, Any], mask: list[str]) -> None:
        """Apply ``body`` under ``mask`` (all body fields if empty); only mutable fields."""
        paths = mask or [k for k in body if k != "name"]
        updates: dict[str, Any] = {}
        base = BASE_MODELS.get(job.base_model or (job.source.base_model if job.source else ""))
        max_temperature = (base.max_temperature if base else None) or 1.0
        for path in paths:
            if path not in _MUTABLE:
                raise bad(f"Field {path!r} cannot be updated (update_mask).")
            if path in ("displayName", "description"):
                value: Any = text_field(body, path)
                if path == "displayName" and len(value) > 40:
                    raise bad("The display_name must be at most 40 characters.")
            elif path == "readerProjectNumbers":
                value = project_numbers(body)
            elif path == "topK":
                value = number_field(body, path, 0, 2**31 - 1, integer=True)
            else:
                high = max_temperature if path == "temperature" else 1.0
                value = number_field(body, path, 0.0, high)
            updates[_MUTABLE[path]] = value
        job.fields.update(updates)
        job.updated = self.clock.time()

    def cancel(self, job: Job) -> None:
        """Cancel a running job (no effect once it ended)."""
        now = self.clock.time()
        if job.status(now)[2] is None and job.cancelled_at is None:
            job.cancelled_at = now

    def state(self, job: Job) -> TunedModelState:
        _, error, end = job.status(self.clock.time())
        if end is None:
            return TunedModelState.CREATING
        return TunedModelState.FAILED if error is not None else TunedModelState.ACTIVE

"""The emulator's store: base models, tuned models per owner, and create/patch validation.

Every mutation is synchronous (no ``await`` between a check and the write), so concurrent
requests can never both create one id: exactly one wins, the others get 409 ALREADY_EXISTS.
Each owner (an API key or a bearer token) sees only its own tuned models; another owner's model
answers 403 PERMISSION_DENIED, as the real service does.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from typing import Any

from ..types import Hyperparameters, Model, TunedModelSource, TunedModelState
from ._simulation import Clock, Job

__all__ = ["BASE_MODELS", "ApiError", "Store"]

_ID_RE = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
_ALNUM = string.ascii_lowercase + string.digits
_FAIL_TAG = re.compile(r"\[fail@(\d+)\]")

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
            supported_generation_methods=["generateText", "countTextTokens", "createTunedTextModel"],
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


class ApiError(Exception):
    """An error answered with Google's envelope: canonical ``status`` name and message."""

    def __init__(self, status: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


def bad(message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message)


def random_id(n: int = 12) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def id_from_display_name(display_name: str) -> str:
    """The service's scheme: display-name words hyphen-joined, plus a random suffix."""
    prefix = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")
    prefix = re.sub(r"^[^a-z]+", "", prefix)[:27].rstrip("-")
    if not prefix:
        return secrets.choice(string.ascii_lowercase) + random_id(11)
    return f"{prefix}-{random_id(12)}"


def _positive(hp: dict[str, Any], key: str, kind: type) -> Any:
    value = hp.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise bad(f"tuning_task.hyperparameters.{key} must be a positive number, got {value!r}.")
    if kind is int and value != int(value):
        raise bad(f"tuning_task.hyperparameters.{key} must be an integer, got {value!r}.")
    return kind(value)


def parse_examples(data: Any, limits: tuple[int, int]) -> list[tuple[str, str]]:
    """``trainingData`` → pairs, with the service's checks (a plain loop: fast on big bodies)."""
    if not isinstance(data, dict) or not isinstance(data.get("examples"), dict):
        raise bad("tuned_model.tuning_task.training_data.examples is required.")
    examples = data["examples"].get("examples")
    if not isinstance(examples, list) or not examples:
        raise bad("Training data must contain at least one example.")
    max_in, max_out = limits
    out: list[tuple[str, str]] = []
    append = out.append
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise bad(f"training_data.examples.examples[{i}] must be an object.")
        text = ex.get("textInput", ex.get("text_input", ""))
        output = ex.get("output", "")
        if not isinstance(text, str) or not isinstance(output, str):
            raise bad(f"training_data.examples.examples[{i}]: textInput and output must be strings.")
        if not output:
            raise bad(f"training_data.examples.examples[{i}].output is required.")
        if len(text) > max_in:
            raise bad(f"training_data.examples.examples[{i}].text_input exceeds {max_in} characters.")
        if len(output) > max_out:
            raise bad(f"training_data.examples.examples[{i}].output exceeds {max_out} characters.")
        append((text, output))
    return out


@dataclass
class Store:
    clock: Clock
    step_time: float
    fail_at_step: int | None = None
    max_input_chars: int = 40_000
    max_output_chars: int = 5_000

    def __post_init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    # -- lookups -------------------------------------------------------------------------------
    def job(self, owner: str, model_id: str) -> Job:
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
            raise ApiError("NOT_FOUND", f"models/{name.partition('/')[2]} is not found for API version v1beta.")
        return model

    # -- create --------------------------------------------------------------------------------
    def create(self, owner: str, body: dict[str, Any], model_id: str | None) -> Job:
        known = {"displayName", "description", "baseModel", "tunedModelSource", "temperature",
                 "topP", "topK", "tuningTask", "readerProjectNumbers", "name", "state",
                 "createTime", "updateTime"}  # fmt: skip
        for key in body:
            if key not in known:
                raise bad(f'Invalid JSON payload received. Unknown name "{key}" at \'tuned_model\': Cannot find field.')
        display = body.get("displayName") or ""
        if not isinstance(display, str) or len(display) > 40:
            raise bad("The display_name must be at most 40 characters.")
        if model_id is not None and not _ID_RE.match(model_id):
            raise bad(
                f"Invalid tuned_model_id {model_id!r}: it must be up to 40 characters of lowercase "
                "letters, digits and hyphens, start with a letter and not end with a hyphen."
            )
        base_name, source = body.get("baseModel"), body.get("tunedModelSource")
        if base_name and source:
            raise bad("Only one of base_model and tuned_model_source may be set.")
        if not base_name and not source:
            raise bad("One of base_model or tuned_model_source is required.")
        if source:
            parsed = TunedModelSource.from_wire(source)
            parent = self.job(owner, parsed.tuned_model.partition("/")[2])
            root = parent.base_model or (parent.source.base_model if parent.source else "")
            src: TunedModelSource | None = TunedModelSource(tuned_model=parent.name, base_model=root)
            base = BASE_MODELS[root]
        else:
            src = None
            base = BASE_MODELS.get(base_name) if isinstance(base_name, str) else None
            if base is None:
                raise bad(f"Base model {base_name} is not found or does not support tuning.")
        methods = base.supported_generation_methods
        if "createTunedModel" not in methods and "createTunedTextModel" not in methods:
            raise bad(f"Base model {base.name} does not support tuning (createTunedModel).")
        task = body.get("tuningTask")
        if not isinstance(task, dict):
            raise bad("tuned_model.tuning_task is required.")
        hp = task.get("hyperparameters") or {}
        if not isinstance(hp, dict):
            raise bad("tuning_task.hyperparameters must be an object.")
        if hp.get("learningRate") is not None and hp.get("learningRateMultiplier") is not None:
            raise bad(
                'Invalid JSON payload received. Multiple values for oneof "learning_rate_option": '
                "learning_rate and learning_rate_multiplier."
            )
        temperature = body.get("temperature")
        if temperature is not None and not (0 <= temperature <= (base.max_temperature or 1.0)):
            raise bad(f"temperature must be in [0, {base.max_temperature or 1.0}], got {temperature}.")
        top_p = body.get("topP")
        if top_p is not None and not (0 <= top_p <= 1):
            raise bad(f"top_p must be in [0, 1], got {top_p}.")
        examples = parse_examples(task.get("trainingData"), (self.max_input_chars, self.max_output_chars))
        multiplier = _positive(hp, "learningRateMultiplier", float)
        rate = _positive(hp, "learningRate", float)
        hyper = Hyperparameters(
            epoch_count=_positive(hp, "epochCount", int) or 5,
            batch_size=_positive(hp, "batchSize", int) or 4,
            learning_rate=rate if rate is not None or multiplier is not None else 0.001,
            learning_rate_multiplier=multiplier,
        )
        if model_id is None:
            model_id = id_from_display_name(display) if display else random_id(12)
        if model_id in self.jobs:
            raise ApiError("ALREADY_EXISTS", f"Tuned model tunedModels/{model_id} already exists.")
        tag = _FAIL_TAG.search(display) or _FAIL_TAG.search(body.get("description") or "")
        job = Job(
            id=model_id,
            op_id=random_id(12),
            owner=owner,
            fields={
                "display_name": display,
                "description": body.get("description") or "",
                "temperature": base.temperature if temperature is None else temperature,
                "top_p": base.top_p if top_p is None else top_p,
                "top_k": base.top_k if body.get("topK") is None else body["topK"],
                "reader_project_numbers": body.get("readerProjectNumbers") or [],
            },
            base_model=None if src else base.name,
            source=src,
            hyperparameters=hyper,
            examples=examples,
            created=self.clock.time(),
            step_time=self.step_time,
            fail_at=int(tag.group(1)) if tag else self.fail_at_step,
        )
        self.jobs[model_id] = job
        return job

    # -- patch / cancel ---------------------------------------------------------------------------
    _MUTABLE = {"displayName": "display_name", "description": "description",
                "temperature": "temperature", "topP": "top_p", "topK": "top_k",
                "readerProjectNumbers": "reader_project_numbers"}  # fmt: skip

    def patch(self, job: Job, body: dict[str, Any], mask: list[str]) -> None:
        paths = mask or [k for k in body if k != "name"]
        updates: dict[str, Any] = {}
        for path in paths:
            if path not in self._MUTABLE:
                raise bad(f"Field {path!r} cannot be updated (update_mask).")
            value = body.get(path)
            if path == "displayName" and isinstance(value, str) and len(value) > 40:
                raise bad("The display_name must be at most 40 characters.")
            updates[self._MUTABLE[path]] = value if value is not None else (
                [] if path == "readerProjectNumbers" else "" if path in ("displayName", "description") else None
            )
        job.fields.update(updates)
        job.updated = self.clock.time()

    def cancel(self, job: Job) -> None:
        now = self.clock.time()
        if job.status(now)[2] is None and job.cancelled_at is None:
            job.cancelled_at = now

    def state(self, job: Job) -> TunedModelState:
        return job.model(self.clock.time()).state

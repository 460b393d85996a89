"""Request validation with the service's rules and Google's error statuses.

Bodies arrive as orjson-parsed dicts (already normalised to camelCase keys by the app) and are
checked with plain loops: no pydantic per training example, so a create with hundreds of
thousands of examples validates in a fraction of a second. Unknown fields are refused, as the
real proto parser refuses them (``Invalid JSON payload received. Unknown name ...``).
"""

from __future__ import annotations

import math
import re
import secrets
import string
from typing import Any

__all__ = [
    "ID_RE",
    "ApiError",
    "bad",
    "check_unknown",
    "id_from_display_name",
    "number_field",
    "parse_examples",
    "positive",
    "project_numbers",
    "random_id",
    "random_model_id",
    "text_field",
]

ID_RE = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?\Z")  # \Z: "$" would allow a final "\n"
_ALNUM = string.ascii_lowercase + string.digits
_EXAMPLE_KEYS = frozenset({"textInput", "text_input", "output"})


class ApiError(Exception):
    """An error answered with Google's envelope: canonical ``status`` name and message."""

    def __init__(self, status: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


def bad(message: str) -> ApiError:
    """400 INVALID_ARGUMENT."""
    return ApiError("INVALID_ARGUMENT", message)


def random_id(n: int = 12) -> str:
    """``n`` random ``[a-z0-9]`` characters (operation ids, id suffixes)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def random_model_id() -> str:
    """A random tuned-model id: 12 chars, starting with a letter as the id regex requires."""
    return secrets.choice(string.ascii_lowercase) + random_id(11)


def id_from_display_name(display_name: str) -> str:
    """The service's scheme (tuning-api.md §5): display-name words hyphen-joined + a suffix.

    Lowercase; every run of non-``[a-z0-9]`` becomes ``-``; leading non-letters are dropped;
    the prefix is cut to 27 characters so ``prefix-`` + a 12-character suffix fits in 40.
    """
    prefix = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")
    prefix = re.sub(r"^[^a-z]+", "", prefix)[:27].rstrip("-")
    if not prefix:
        return random_model_id()
    return f"{prefix}-{random_id(12)}"


def check_unknown(obj: dict[str, Any], known: frozenset[str], where: str) -> None:
    """400 for the first key of ``obj`` not in ``known``."""
    for key in obj:
        if key not in known:
            raise bad(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                "Cannot find field."
            )


def number_field(
    body: dict[str, Any], key: str, low: float, high: float, *, integer: bool = False
) -> Any:
    """An optional number, type- and range-checked (``None`` when absent)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise bad(f"Invalid value at 'tuned_model.{key}': expected a number, got {value!r}.")
    if integer and value != int(value):
        raise bad(f"Invalid value at 'tuned_model.{key}': expected an integer, got {value!r}.")
    if not low <= value <= high:
        raise bad(f"tuned_model.{key} must be in [{low:g}, {high:g}], got {value!r}.")
    return int(value) if integer else float(value)


def text_field(body: dict[str, Any], key: str) -> str:
    """An optional string (``""`` when absent)."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad(f"Invalid value at 'tuned_model.{key}': expected a string, got {value!r}.")
    return value


def project_numbers(body: dict[str, Any]) -> list[int]:
    """``readerProjectNumbers``: int64s, sent as JSON strings or numbers."""
    value = body.get("readerProjectNumbers")
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad("Invalid value at 'tuned_model.reader_project_numbers': expected a list.")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise bad(f"Invalid value at 'tuned_model.reader_project_numbers': {item!r}.")
        try:
            out.append(int(item))
        except ValueError:
            raise bad(f"Invalid value at 'tuned_model.reader_project_numbers': {item!r}.") from None
    return out


def positive(hp: dict[str, Any], key: str, kind: type) -> Any:
    """An optional positive hyperparameter of type ``kind`` (``None`` when absent)."""
    value = hp.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise bad(f"tuning_task.hyperparameters.{key} must be a positive number, got {value!r}.")
    if kind is int and value != int(value):
        raise bad(f"tuning_task.hyperparameters.{key} must be an integer, got {value!r}.")
    return kind(value)


def parse_examples(data: Any, limits: tuple[int, int]) -> list[tuple[str, str]]:
    """``trainingData`` → (input, output) pairs, with the service's checks, in one plain loop."""
    if not isinstance(data, dict) or not isinstance(data.get("examples"), dict):
        raise bad("tuned_model.tuning_task.training_data.examples is required.")
    check_unknown(data, frozenset({"examples"}), "tuned_model.tuning_task.training_data")
    check_unknown(data["examples"], frozenset({"examples"}), "tuning_task.training_data.examples")
    examples = data["examples"].get("examples")
    if not isinstance(examples, list) or not examples:
        raise bad("Training data must contain at least one example.")
    max_in, max_out = limits
    keys = _EXAMPLE_KEYS
    out: list[tuple[str, str]] = []
    append = out.append
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise bad(f"training_data.examples.examples[{i}] must be an object.")
        if not ex.keys() <= keys:
            where = f"tuned_model.tuning_task.training_data.examples.examples[{i}]"
            check_unknown(ex, keys, where)
        text = ex.get("textInput", ex.get("text_input", ""))
        output = ex.get("output", "")
        if not isinstance(text, str) or not isinstance(output, str):
            raise bad(
                f"training_data.examples.examples[{i}]: textInput and output must be strings."
            )
        if not output:
            raise bad(f"training_data.examples.examples[{i}].output is required.")
        if len(text) > max_in:
            raise bad(
                f"training_data.examples.examples[{i}].text_input exceeds {max_in} characters."
            )
        if len(output) > max_out:
            raise bad(f"training_data.examples.examples[{i}].output exceeds {max_out} characters.")
        append((text, output))
    return out

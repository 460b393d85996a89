"""The public surface: exported names, signatures of the contract, import cost."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import aiotune


def test_exported_members() -> None:
    for name in aiotune.__all__:
        if name == "validate_training_data":
            pytest.importorskip("aiotune.datasets")
        assert hasattr(aiotune, name), name
    public = {n for n in dir(aiotune) if not n.startswith("_")}
    subpackages = {"datasets", "emulator", "cli", "types"}  # attributes once imported
    assert public - set(aiotune.__all__) <= {"annotations"} | subpackages


def test_create_signature_matches_the_seed() -> None:
    seed = [
        "source_model",
        "training_data",
        "id",
        "display_name",
        "description",
        "temperature",
        "top_p",
        "top_k",
        "epoch_count",
        "batch_size",
        "learning_rate",
        "input_key",
        "output_key",
    ]
    params = list(inspect.signature(aiotune.AsyncClient.create_tuned_model).parameters)
    assert [p for p in params if p in seed] == seed
    module_params = inspect.signature(aiotune.create_tuned_model).parameters
    assert "client" in module_params
    assert "request_options" in module_params
    for method in (
        "get_operation",
        "get_tuned_model",
        "list_tuned_models",
        "update_tuned_model",
        "delete_tuned_model",
        "generate_text",
        "generate_content",
        "list_operations",
        "get_model",
        "list_models",
    ):
        assert hasattr(aiotune.AsyncClient, method), method
        assert hasattr(aiotune.Client, method), method
    for method in ("result", "watch", "cancel", "done", "cancelled", "refresh"):
        assert hasattr(aiotune.TuningOperation, method)
        assert hasattr(aiotune.SyncTuningOperation, method)


def test_import_is_light() -> None:
    code = (
        "import sys, aiotune; "
        "heavy = [m for m in ('pandas', 'starlette', 'uvicorn', 'typer', 'aiotune.emulator', "
        "'aiotune.datasets', 'trio') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""The ``aiotune`` command: every subcommand, against a real emulator process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from aiotune.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data" / "support_tickets.csv"
AIOTUNE = [sys.executable, "-m", "aiotune.cli"]
runner = CliRunner()


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "AIOTUNE_BASE_URL")
    }
    return {**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "120", **extra}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiotune.emulator", "--port", "0", "--step-time", "0.02"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    try:
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def cli(*args: str, base_url: str | None = None) -> tuple[int, str]:
    env = _env(GOOGLE_API_KEY="cli-key")
    if base_url:
        env["AIOTUNE_BASE_URL"] = base_url
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def start_job(url: str, examples: int) -> str:
    body = {
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {
            "trainingData": {
                "examples": {
                    "examples": [{"textInput": f"q{i}", "output": f"a{i}"} for i in range(examples)]
                }
            }
        },
    }
    r = httpx.post(f"{url}/v1beta/tunedModels", json=body, params={"key": "cli-key"})
    r.raise_for_status()
    return str(r.json()["name"])


def test_tune_with_the_emulator_in_a_real_process() -> None:
    proc = subprocess.run(
        [*AIOTUNE, "tune", str(DATA), "--model", "gemini-1.5-flash-001-tuning", "--display-name", "triage",
         "--emulator", "--step-time", "0.01", "--prompt", "I was billed twice"],
        capture_output=True, text=True, env=_env(), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "built-in emulator" in proc.stdout
    assert "ACTIVE" in proc.stdout
    assert "-> billing" in proc.stdout


def test_tune_json_output() -> None:
    proc = subprocess.run(
        [*AIOTUNE, "tune", str(DATA), "--model", "gemini-1.5-flash-001-tuning", "--emulator",
         "--step-time", "0.005", "--epochs", "1", "--json"],
        capture_output=True, text=True, env=_env(), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["tunedModel"]["state"] == "ACTIVE"
    assert out["tunedModel"]["tuningTask"]["hyperparameters"]["epochCount"] == 1


def test_tune_without_a_key_offers_the_emulator() -> None:
    result = runner.invoke(app, ["tune", str(DATA), "--model", "m"], env=_env())
    assert result.exit_code == 2
    assert "--emulator" in result.output


def test_tune_status_list_generate_delete(server: str) -> None:
    code, out = cli(
        "tune",
        str(DATA),
        "--model",
        "gemini-1.5-flash-001-tuning",
        "--id",
        "cli-model",
        "--json",
        base_url=server,
    )
    assert code == 0, out
    op_name = json.loads(out)["operation"]
    code, out = cli("status", op_name, base_url=server)
    assert code == 0 and "done" in out and "steps 40/40" in out
    code, out = cli("status", "tunedModels/cli-model", "--json", base_url=server)
    assert code == 0 and json.loads(out)["state"] == "ACTIVE"
    code, out = cli("list", base_url=server)
    assert code == 0 and "tunedModels/cli-model" in out
    code, out = cli(
        "generate", "tunedModels/cli-model", "the app crashes when I open settings", base_url=server
    )
    assert (code, out.strip()) == (0, "bug")
    code, out = cli("delete", "tunedModels/cli-model", base_url=server)
    assert code == 0
    code, out = cli("status", "tunedModels/cli-model", base_url=server)
    assert code == 1 and "PERMISSION_DENIED" in out and "Traceback" not in out


def test_cancel(server: str) -> None:
    name = start_job(server, 400)  # 500 steps at 0.02 s
    code, out = cli("cancel", name, base_url=server)
    assert code == 0 and "cancel requested" in out
    code, out = cli("status", name, "--json", base_url=server)
    assert json.loads(out)["error"]["code"] == 1
    code, out = cli("cancel", name, base_url=server)
    assert code == 0 and "already finished" in out


def test_validate(tmp_path: Path) -> None:
    code, out = cli("validate", str(DATA), "--json")
    assert code == 0 and json.loads(out)["examples"] == 32
    bad = tmp_path / "bad.csv"
    bad.write_text("text_input,output\na,1\nb,\n")
    code, out = cli("validate", str(bad))
    assert code == 2
    assert "row 2" in out and "'output'" in out and "empty" in out


def test_ctrl_c_stops_watching_without_cancelling(server: str) -> None:
    many = ROOT / "examples" / "data" / "support_tickets.csv"
    proc = subprocess.Popen(
        [*AIOTUNE, "tune", str(many), "--model", "gemini-1.5-flash-001-tuning", "--epochs", "50", "--id", "interrupted"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(GOOGLE_API_KEY="cli-key", AIOTUNE_BASE_URL=server),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert proc.stdout.readline().startswith("Started tunedModels/interrupted/operations/")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
        err = proc.stderr.read()
        assert (
            "the job goes on" in err and "aiotune status tunedModels/interrupted/operations/" in err
        )
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    r = httpx.get(f"{server}/v1beta/tunedModels/interrupted", params={"key": "cli-key"})
    assert r.json()["state"] == "CREATING"  # still training on the server


def test_emulator_subcommand_help() -> None:
    result = runner.invoke(app, ["emulator", "--help"])
    assert result.exit_code == 0
    assert "--step-time" in result.output


def test_text_with_brackets_is_printed_verbatim(server: str, tmp_path: Path) -> None:
    """Display names, model answers and error messages are data, not rich markup."""
    body = {
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "displayName": "[x] team [/y]",
        "tuningTask": {
            "hyperparameters": {"epochCount": 1, "batchSize": 1},
            "trainingData": {"examples": {"examples": [{"textInput": "q", "output": "[b]ok[/b]"}]}},
        },
    }
    r = httpx.post(
        f"{server}/v1beta/tunedModels",
        json=body,
        params={"key": "cli-key", "tunedModelId": "brackets"},
    )
    r.raise_for_status()
    code, out = cli("status", "tunedModels/brackets", "--watch", base_url=server)
    assert code == 0 and "[x] team [/y]" in out, out
    for _ in range(100):
        code, out = cli("generate", "tunedModels/brackets", "q", base_url=server)
        if code == 0:
            break
        time.sleep(0.05)
    assert (code, out.strip()) == (0, "[b]ok[/b]")
    bad = tmp_path / "bad.csv"
    bad.write_text("input,[/output]\na,1\n")
    code, out = cli("validate", str(bad))
    assert code == 2 and "'[/output]'" in out and "Traceback" not in out


def test_validate_does_not_echo_a_url_query(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiotune.datasets import DatasetSummary

    async def fake(data: str, **kw: object) -> DatasetSummary:
        return DatasetSummary("https://files.example/d.csv", 1, 1, 1, 1, 1)

    monkeypatch.setattr("aiotune.cli.validate_training_data", fake)
    code, out = cli("validate", "https://files.example/d.csv?token=SECRET")
    assert code == 0 and "https://files.example/d.csv: OK" in out
    assert "SECRET" not in out


def test_debug_mode_shows_the_traceback_without_the_key(server: str) -> None:
    env = _env(GOOGLE_API_KEY="cli-key-secret", AIOTUNE_BASE_URL=server, AIOTUNE_DEBUG="1")
    result = runner.invoke(app, ["status", "tunedModels/nosuch"], env=env)
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "PermissionDeniedError"
    assert "cli-key-secret" not in result.output

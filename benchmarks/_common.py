"""Helpers shared by the benchmark scripts: servers in subprocesses, child runs, tables."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
DEFAULT_OUT = HERE / "results"
PYTHON = sys.executable


@contextmanager
def server(cmd: Sequence[str], prefix: str) -> Iterator[tuple[str, int]]:
    """Run ``cmd`` (which prints ``{prefix} http://HOST:PORT`` when ready); yield (url, pid)."""
    proc = subprocess.Popen(
        list(cmd),
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(prefix):
            raise RuntimeError(f"{cmd[:3]} did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip(), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def sink() -> Iterator[str]:
    with server([PYTHON, str(HERE / "sink.py"), "--port", "0"], "sink listening on") as (url, _):
        yield url


def sink_stats(url: str, model_id: str) -> dict[str, int]:
    r = httpx.get(f"{url}/stats/{model_id}")
    r.raise_for_status()
    return dict(r.json())


def run_child(script: str, args: Sequence[str], timeout: float = 1800) -> dict[str, Any]:
    """Run ``benchmarks/{script} child ARGS`` in a fresh interpreter; it prints one JSON line."""
    proc = subprocess.run(
        [PYTHON, "-W", "ignore::FutureWarning", str(HERE / script), "child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB.

    Linux's ``VmHWM``, not ``getrusage().ru_maxrss``: on Linux a child's ``ru_maxrss`` starts at
    its parent's RSS at fork time and survives ``exec``, so it would count the driver process.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1 << 20 if sys.platform == "darwin" else 1024
    )


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None and "error" not in r]
    return statistics.median(values) if values else None


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; floats get 2 decimals, None prints as n/a."""

    def cell(v: Any) -> str:
        if v is None:
            return "n/a"
        if isinstance(v, float):
            return f"{v:,.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)

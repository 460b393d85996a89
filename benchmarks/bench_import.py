"""Import time: ``import aiotune`` (and a first client) vs ``import google.generativeai``.

    .venv/bin/python benchmarks/bench_import.py [--runs 7] [--python /tmp/corevenv/bin/python]

Each sample is a fresh interpreter (``python -c``), timed with ``time.perf_counter`` around the
statement only (interpreter start-up excluded); median, min and max of ``--runs`` after one
untimed warm-up each (so the OS file cache is warm for all). Cases:

* ``import aiotune``: lazy, loads only the exceptions;
* ``import aiotune; aiotune.AsyncClient("k")``: the time to a first client (httpx, pydantic, ...),
  the honest number;
* with ``--python PY``, the same first-client case in another environment, e.g. a venv with only
  aiotune's core dependencies (``python3 -m venv /tmp/corevenv && /tmp/corevenv/bin/pip install
  .``): without rich and click, ``import httpx`` does not import its command-line interface;
* ``import google.generativeai`` (this interpreter), the reference of every ratio.

Writes ``results/import.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import DEFAULT_OUT, PYTHON, table, write_json

OFFICIAL = "import google.generativeai"
AIOTUNE = "import aiotune"
FIRST_CLIENT = 'import aiotune; aiotune.AsyncClient("k")'
ENVS = {"dev": "dev venv", "core": "core deps only"}
CODE = "import time; t = time.perf_counter(); {0}; print(time.perf_counter() - t)"


def time_stmt(stmt: str, python: str = PYTHON) -> float:
    out = subprocess.run(
        [python, "-W", "ignore", "-c", CODE.format(stmt)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def cases(python: str | None) -> list[tuple[str, str, str]]:
    """(statement, interpreter, environment) of every case that can run here."""
    found = [(AIOTUNE, PYTHON, "dev"), (FIRST_CLIENT, PYTHON, "dev")]
    if python:
        found.append((FIRST_CLIENT, python, "core"))
    if importlib.util.find_spec("google") and importlib.util.find_spec("google.generativeai"):
        found.append((OFFICIAL, PYTHON, "dev"))
    return found


def run(runs: int, out: Path, python: str | None = None) -> dict[str, Any]:
    results = []
    for stmt, interpreter, env in cases(python):
        time_stmt(stmt, interpreter)  # warm-up
        times = [time_stmt(stmt, interpreter) for _ in range(runs)]
        results.append(
            {
                "statement": stmt,
                "env": env,
                "python": interpreter,
                "times_s": times,
                "median_s": statistics.median(times),
            }
        )
        ms = [round(t * 1000) for t in times]
        print(f"  {stmt} ({env}): {ms} ms", file=sys.stderr, flush=True)
    base = next((r["median_s"] for r in results if r["statement"] == OFFICIAL), None)
    for r in results:
        r["x_official"] = r["median_s"] / base if base else None
    data = {"runs": runs, "results": results}
    write_json(out / "import.json", data)
    return data


def report(data: dict[str, Any]) -> str:
    rows = [
        [f"`{r['statement']}`", ENVS[r["env"]], r["median_s"] * 1000, min(r["times_s"]) * 1000, max(r["times_s"]) * 1000, r["x_official"]]
        for r in data["results"]
    ]  # fmt: skip
    return table(["statement", "environment", "median ms", "min ms", "max ms", "x official"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", help="also time a first client with this interpreter")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    print(report(run(args.runs, args.out, args.python)))


if __name__ == "__main__":
    main()

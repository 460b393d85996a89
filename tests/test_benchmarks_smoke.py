"""Smoke test of the benchmark suite: ``benchmarks/run_all.py --quick`` into a temp dir.

No timing assertions: only that it runs, and that every result is present and consistent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_ALL = ROOT / "benchmarks" / "run_all.py"


@pytest.mark.timeout(120)
def test_run_all_quick_writes_sane_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            str(RUN_ALL),
            "--quick",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "## Pipeline" in proc.stdout

    pipeline = json.loads((out / "pipeline.json").read_text())
    assert {"floor", "aiotune"} <= set(pipeline["pipelines"])
    seen = {(c["pipeline"], c["format"]) for c in pipeline["cases"]}
    assert seen == {(p, f) for p in pipeline["pipelines"] for f in ("csv", "jsonl")}
    for case in pipeline["cases"]:
        assert case["rows"] == 200
        if case.get("na"):  # the official SDK cannot read JSON Lines
            assert (case["pipeline"], case["format"]) == ("official", "jsonl")
            continue
        assert case["errors"] == [], case
        assert case["runs"], case
        for run in case["runs"]:
            assert run["examples"] == 200, run  # the sink counted every example
            assert run["bytes"] > 200 * 100
            assert run["wall_s"] > 0
            assert run["peak_rss_mb"] >= run["base_rss_mb"] > 0
        if case["pipeline"] != "official":
            assert case["max_lag_ms"] is not None
    floor = {c["format"]: c["bytes"] for c in pipeline["cases"] if c["pipeline"] == "floor"}
    aio = {c["format"]: c["bytes"] for c in pipeline["cases"] if c["pipeline"] == "aiotune"}
    assert floor == aio  # the same wire body, byte for byte in size

    jobs = json.loads((out / "jobs.json").read_text())
    assert "aiotune-httpx" in jobs["clients"]
    assert {c["client"] for c in jobs["cases"]} == set(jobs["clients"])
    for case in jobs["cases"]:
        assert case["jobs"] == 5
        assert case["errors"] == 0, case
        assert case["requests"] >= 2 * 5  # a create and at least one poll per job

    imports = json.loads((out / "import.json").read_text())
    statements = {r["statement"] for r in imports["results"]}
    assert {"import aiotune", 'import aiotune; aiotune.AsyncClient("k")'} <= statements
    for result in imports["results"]:
        assert len(result["times_s"]) == imports["runs"]
        assert result["median_s"] > 0

    for png in ("pipeline_time.png", "pipeline_rss.png", "jobs_wall.png"):
        assert (out / png).read_bytes().startswith(b"\x89PNG")

"""Run every benchmark, write JSON + PNGs, print the markdown tables.

    .venv/bin/python benchmarks/run_all.py            # full: 10k/100k/1M rows, 10/100/1000 jobs
    .venv/bin/python benchmarks/run_all.py --quick    # tiny sizes, 1 run, < 60 s (the smoke test)

``--out DIR`` (default ``benchmarks/results``) receives ``pipeline.json``, ``jobs.json``,
``import.json`` and the PNGs; ``--data-dir`` the generated data files (default
``benchmarks/.data``). The official SDK is skipped when ``google.generativeai`` is not installed.
``--python PY`` also times ``import aiotune; aiotune.AsyncClient("k")`` under another interpreter
(e.g. a venv with aiotune's core dependencies only; see ``bench_import.py``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import bench_import
import bench_jobs
import bench_pipeline
import gen_data
import plot
from _common import DEFAULT_OUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 rows, 5 jobs, 1 run")
    parser.add_argument("--runs", type=int, help="runs per case (default 3, quick 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--data-dir", type=Path, default=gen_data.DEFAULT_DATA_DIR)
    parser.add_argument("--python", help="bench_import.py --python: a core-only interpreter")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    sizes = [200] if args.quick else [10_000, 100_000, 1_000_000]
    jobs = [5] if args.quick else [10, 100, 1000]
    official = bench_pipeline.official_available()
    start = time.perf_counter()

    pipeline = bench_pipeline.run(sizes, runs, args.data_dir, args.out, official)
    jobs_data = bench_jobs.run(jobs, runs, args.out, official=official)
    imports = bench_import.run(2 if args.quick else 7, args.out, args.python)
    pngs = plot.plot_all(args.out)

    print("## Pipeline: file -> create body -> sink\n")
    print(bench_pipeline.report(pipeline))
    print(f"\n## {max(jobs)} concurrent jobs and fewer\n")
    print(bench_jobs.report(jobs_data))
    print("\n## Import time\n")
    print(bench_import.report(imports))
    print(f"\nplots: {', '.join(p.name for p in pngs)}")
    print(f"total {time.perf_counter() - start:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()

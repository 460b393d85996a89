"""PNG plots of ``results/pipeline.json`` and ``results/jobs.json`` (matplotlib, Agg backend).

    .venv/bin/python benchmarks/plot.py [--out benchmarks/results]

Writes ``pipeline_time.png`` and ``pipeline_rss.png`` (wall time / peak RSS vs rows, log-log,
one panel per format, one line per pipeline) and ``jobs_wall.png`` (wall time vs jobs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _common import DEFAULT_OUT


def _lines(
    cases: list[dict[str, Any]], group: str, x: str, y: str
) -> dict[str, tuple[list[float], list[float]]]:
    lines: dict[str, tuple[list[float], list[float]]] = {}
    for c in sorted(cases, key=lambda c: c[x]):
        if c.get(y) is not None:
            xs, ys = lines.setdefault(c[group], ([], []))
            xs.append(c[x])
            ys.append(c[y])
    return lines


def plot_pipeline(data: dict[str, Any], out: Path) -> list[Path]:
    written = []
    for key, label, name in (("wall_s", "wall time (s)", "pipeline_time.png"),
                             ("peak_rss_mb", "peak RSS (MB)", "pipeline_rss.png")):  # fmt: skip
        formats = sorted({c["format"] for c in data["cases"]})
        fig, axes = plt.subplots(1, len(formats), figsize=(5 * len(formats), 4), squeeze=False)
        for ax, fmt in zip(axes[0], formats, strict=True):
            cases = [c for c in data["cases"] if c["format"] == fmt]
            for pipeline, (xs, ys) in _lines(cases, "pipeline", "rows", key).items():
                ax.plot(xs, ys, marker="o", label=pipeline)
            ax.set(xscale="log", yscale="log", xlabel="rows", ylabel=label, title=fmt.upper())
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.suptitle(f"file -> create body -> sink: {label} (median of runs)")
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(out / name)
    return written


def plot_jobs(data: dict[str, Any], out: Path) -> list[Path]:
    fig, ax = plt.subplots(figsize=(6, 4))
    for client, (xs, ys) in _lines(data["cases"], "client", "jobs", "wall_s").items():
        ax.plot(xs, ys, marker="o", label=client)
    ax.set(
        xscale="log", yscale="log", xlabel="concurrent jobs (create + wait)", ylabel="wall time (s)"
    )
    ax.set_title(f"jobs through {data['connections']} connections, emulator on loopback")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "jobs_wall.png", dpi=110)
    plt.close(fig)
    return [out / "jobs_wall.png"]


def plot_all(out: Path) -> list[Path]:
    written: list[Path] = []
    if (out / "pipeline.json").exists():
        written += plot_pipeline(json.loads((out / "pipeline.json").read_text()), out)
    if (out / "jobs.json").exists():
        written += plot_jobs(json.loads((out / "jobs.json").read_text()), out)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    for path in plot_all(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()

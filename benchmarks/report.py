"""Benchmark results: one row per figure with its target, the machine they were taken on, JSON and Markdown."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from mlsandbox.machine import describe


def row(measure: str, figure: str, value, fmt: str = "{:.4f}", at_least=None, at_most=None) -> dict:
    """One figure; with a target, whether it passed (None when there is no target or no value)."""
    target, passed = "", None
    if at_least is not None:
        target = ">= " + fmt.format(at_least)
        passed = None if value is None else bool(value >= at_least)
    elif at_most is not None:
        target = "<= " + fmt.format(at_most)
        passed = None if value is None else bool(value <= at_most)
    shown = "n/a" if value is None else fmt.format(value)
    return {"measure": measure, "figure": figure, "value": value, "shown": shown, "target": target, "pass": passed}


def percentiles_ms(seconds) -> dict:
    p50, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 99])
    return {"p50_ms": round(float(p50), 4), "p99_ms": round(float(p99), 4), "n": len(seconds)}


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **describe(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit or None,
    }


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results" + (" (--quick smoke run: the figures mean nothing)" if results["quick"] else ""),
        "",
        f"- date: {m['date']}, commit {m['commit']}",
        f"- machine: {m['processor']}, {m['cpu_count']} cores, load average at start {m['load_average_at_start']}",
        f"- python {m['python']}, onnxruntime {m['onnxruntime']}, torch {m['torch']}, numpy {m['numpy']}",
        f"- artifacts: `{results['artifacts']}`" + (
            f" (fast-mode models: {', '.join(results['fast_models'])})" if results["fast_models"] else ""),
        f"- command: `{results['command']}`",
        *[f"- `{name}` kept from an earlier run: `{f['measured']['command']}` on {f['measured']['date']}, "
          f"commit {f['measured']['commit']}" for name, f in results["measures"].items() if "measured" in f],
        "",
        "| Measure | Figure | Value | Target | Result |",
        "|---|---|---:|---|---|",
    ]
    for r in results["rows"]:
        verdict = {True: "pass", False: "**FAIL**", None: ""}[r["pass"]]
        lines.append(f"| {r['measure']} | {r['figure']} | {r['shown']} | {r['target']} | {verdict} |")
    lines += ["", "All figures, with details, are in the JSON file of the same name.", ""]
    return "\n".join(lines)


def small_table(title: str, results: dict, rows: list[dict]) -> str:
    """The Markdown table of a benchmark script of its own (generators.py, faces.py): its title with the date and
    machine, then one line per row."""
    lines = [f"# {title} ({results['date']}, {results['machine']['processor']}, {results['machine']['cpu_count']} "
             "cores)", "", "| measure | figure | value | target | pass |", "|---|---|---|---|---|"]
    lines += [f"| {r['measure']} | {r['figure']} | {r['shown']} | {r['target']} | {r['pass']} |" for r in rows]
    return "\n".join(lines) + "\n"


def write(results: dict, stem: Path) -> None:
    """stem.json and stem.md, each replaced atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_json(results, stem.with_suffix(".json"))
    _replace(stem.with_suffix(".md"), markdown(results))


def write_json(data: dict, path: Path) -> None:
    _replace(path, json.dumps(data, indent=2) + "\n")


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)

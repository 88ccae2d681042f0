"""Interleaved before/after benchmark of two sluice binaries on the same machine in one run:
HTTP (wrk on /health and /v1/models) and serving (closed-loop streaming chat, as
bench/serving.py). Each round runs every case on the old binary, then on the new one, so
both see the same machine state; the report gives per-round numbers, medians and the ratio.
Writes bench/results/before_after.md (and .json with the raw samples; OUT=name for another name).

Usage: SLUICE_BIN=new SLUICE_BIN_BEFORE=old [ROUNDS=3] [DURATION=15] [CLIENTS=8,32]
       [HTTP_DURATION=8s] [LABEL=...] python bench/before_after.py
The gateway access path has its own interleaved mode: SLUICE_BIN_BEFORE=old make bench-gateway."""
from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serving import ROOT, cpu_model, run_level, start_server  # noqa: E402


def wrk(url: str, duration: str) -> float:
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}", url], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def one_binary(binary: str, model: str, levels: list[int], duration: float, http_duration: str) -> dict:
    proc, url = start_server(binary, model, ["--max-sequences", "32", "--max-batched-tokens", "256"])
    try:
        import httpx
        model_id = httpx.get(url + "/v1/models").json()["data"][0]["id"]
        sample = {"health_rps": wrk(url + "/health", http_duration), "models_rps": wrk(url + "/v1/models", http_duration)}
        if levels:
            asyncio.run(run_level(url, model_id, 1, 3))  # warm-up
        for clients in levels:
            result = asyncio.run(run_level(url, model_id, clients, duration))
            sample[f"tok_s_{clients}"] = result["tokens_per_s"]
            sample[f"ttft_p99_{clients}"] = result["ttft_p99"]
            sample[f"itl_p50_{clients}"] = result["itl_p50"]
            sample[f"errors_{clients}"] = result["errors"]
        return sample
    finally:
        proc.terminate()
        proc.wait()


def plot(samples: dict[str, list[dict]], label: str, path: str) -> None:
    """After / before per measure: each round's ratio as a dot, the ratio of medians as a bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [k for k in samples["before"][0] if not k.startswith("errors_")]
    fig, axis = plt.subplots(figsize=(max(6, 1.1 * len(keys)), 4))
    for index, key in enumerate(keys):
        before = [s[key] for s in samples["before"]]
        after = [s[key] for s in samples["after"]]
        axis.bar(index, statistics.median(after) / statistics.median(before), color="#8ab", width=0.6)
        axis.plot([index] * len(before), [a / b for a, b in zip(after, before)], "k.", markersize=6)
    axis.axhline(1.0, color="grey", linewidth=1)
    axis.set_xticks(range(len(keys)), keys, rotation=30, ha="right")
    axis.set_ylabel("after / before (bar: medians, dots: rounds)")
    axis.set_title(label)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    if os.environ.get("PLOT_ONLY"):
        # Redraws the PNG from a saved run: PLOT_ONLY=1 OUT=name python bench/before_after.py
        name = os.environ.get("OUT", "before_after")
        with open(os.path.join(ROOT, "bench", "results", f"{name}.json")) as f:
            saved = json.load(f)
        plot(saved["samples"], saved["label"], os.path.join(ROOT, "bench", "results", f"{name}.png"))
        return
    after = os.environ.get("SLUICE_BIN") or sys.exit("set SLUICE_BIN (the new binary)")
    before = os.environ.get("SLUICE_BIN_BEFORE") or sys.exit("set SLUICE_BIN_BEFORE (the old binary)")
    model = os.environ.get("SLUICE_MODEL", os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    duration = float(os.environ.get("DURATION", "15"))
    http_duration = os.environ.get("HTTP_DURATION", "8s")
    # CLIENTS= (empty) measures HTTP only.
    levels = [int(c) for c in os.environ.get("CLIENTS", "8,32").split(",") if c.strip()]
    label = os.environ.get("LABEL", "before → after")
    load_start = os.getloadavg()[0]
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    for round_index in range(rounds):
        for name, binary in (("before", before), ("after", after)):
            sample = one_binary(binary, model, levels, duration, http_duration)
            print(json.dumps({"round": round_index + 1, "binary": name, **sample}), flush=True)
            samples[name].append(sample)
    load_end = os.getloadavg()[0]

    metrics = [("health_rps", "GET /health requests/s", "{:.0f}"), ("models_rps", "GET /v1/models requests/s", "{:.0f}")]
    for clients in levels:
        metrics += [(f"tok_s_{clients}", f"{clients} clients: completion tokens/s", "{:.1f}"),
                    (f"ttft_p99_{clients}", f"{clients} clients: TTFT p99 (s)", "{:.3f}"),
                    (f"itl_p50_{clients}", f"{clients} clients: inter-token p50 (s)", "{:.4f}")]
    lines = [f"# Before/after, interleaved ({label})", "",
             f"`bench/before_after.py`, {rounds} rounds; each round runs every case on the old binary, then on the new "
             f"one. wrk -t2 -c64 for {http_duration} per HTTP case; serving as `bench/serving.py` (streaming chat, 64 max "
             f"tokens, temperature 0.7) for {duration:.0f} s per level. CPU: {cpu_model()}, {os.cpu_count()} cores; "
             f"load average {load_start:.1f} at the start, {load_end:.1f} at the end.", "",
             "| measure | before (median) | after (median) | after / before | before, per round | after, per round |",
             "|---|---:|---:|---:|---|---|"]
    for key, title, fmt in metrics:
        b = [s[key] for s in samples["before"]]
        a = [s[key] for s in samples["after"]]
        mb, ma = statistics.median(b), statistics.median(a)
        ratio = ma / mb if mb else float("nan")
        lines.append(f"| {title} | {fmt.format(mb)} | {fmt.format(ma)} | {ratio:.2f} | "
                     f"{', '.join(fmt.format(v) for v in b)} | {', '.join(fmt.format(v) for v in a)} |")
    errors = sum(s.get(f"errors_{c}", 0) for name in samples for s in samples[name] for c in levels)
    lines += ["", f"Request errors over all serving runs: {errors}.", "", f"![before/after]({os.environ.get('OUT', 'before_after')}.png)", ""]
    out_dir = os.path.join(ROOT, "bench", "results")
    name = os.environ.get("OUT", "before_after")
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump({"label": label, "samples": samples}, f, indent=1)
    plot(samples, label, os.path.join(out_dir, f"{name}.png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

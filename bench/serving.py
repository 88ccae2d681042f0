"""Closed-loop serving benchmark: N clients each send streaming chat requests back to back
(short prompts, 64 max tokens, temperature 0.7, a seed each) to a release `sluice serve`, for
1, 8 and 32 clients. Reports aggregate completion tokens/s, time to first token p50/p99 and
inter-token latency p50/p99; writes bench/results/serving.md and serving.png.

Usage: SLUICE_BIN=... [SLUICE_MODEL=...] [DURATION=30] [CLIENTS=1,8,32] python bench/serving.py
Tokens are counted from the usage chunk (include_usage), so they are the server's exact count."""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = ["Tell me a short story about a cat.", "What is the capital of Italy?", "Write a haiku about rain.",
           "Give me three tips for sleeping well.", "Explain what a CPU does.", "Describe the colour blue.",
           "Name five animals that live in the sea.", "Why is the sky blue?"]


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def one_request(http: httpx.AsyncClient, url: str, model: str, seed: int, stats: dict) -> None:
    body = {"model": model, "stream": True, "max_tokens": 64, "temperature": 0.7, "seed": seed,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": PROMPTS[seed % len(PROMPTS)]}]}
    start = time.perf_counter()
    last = None
    async with http.stream("POST", url + "/v1/chat/completions", json=body) as response:
        if response.status_code != 200:
            await response.aread()
            stats["errors"] += 1
            return
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                stats["tokens"] += chunk["usage"]["completion_tokens"]
            for choice in chunk.get("choices", []):
                if choice["delta"].get("content"):
                    now = time.perf_counter()
                    if last is None:
                        stats["ttft"].append(now - start)
                    else:
                        stats["itl"].append(now - last)
                    last = now
    stats["requests"] += 1


async def run_level(url: str, model: str, clients: int, duration: float) -> dict:
    stats = {"tokens": 0, "ttft": [], "itl": [], "requests": 0, "errors": 0}
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)

    async def client_loop(index: int) -> None:
        seed = index * 100_000
        while time.perf_counter() < deadline:
            await one_request(http, url, model, seed, stats)
            seed += 1

    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {"clients": clients, "seconds": elapsed, "tokens_per_s": stats["tokens"] / elapsed,
            "requests": stats["requests"], "errors": stats["errors"],
            "ttft_p50": percentile(stats["ttft"], 50), "ttft_p99": percentile(stats["ttft"], 99),
            "itl_p50": percentile(stats["itl"], 50), "itl_p99": percentile(stats["itl"], 99)}


def start_server(binary: str, model: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--model", model,
                             "--access-log", "false", *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = re.search(r"listening on (http://[\d.:]+)", line)
        if match:
            return proc, match.group(1)
    raise RuntimeError("sluice did not start")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def write_report(results: list[dict], path: str, extra: list[str], duration: float) -> None:
    """Sluice's own figures: a ratio to llama.cpp or another server is valid only when both were
    measured side by side in one run on one machine, which this script does not do."""
    fmt = lambda v: f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    lines = ["# Serving benchmark (closed loop, streaming chat)", "",
             f"`bench/serving.py`: each client sends streaming chat requests back to back (short prompts, 64 max tokens, "
             f"temperature 0.7, a seed each) for {duration:.0f} s per level. Server flags: `{' '.join(extra) or '(defaults)'}`. "
             f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average when the report was written: "
             f"{os.getloadavg()[0]:.1f}.", "",
             "| clients | completion tok/s | requests | errors | TTFT p50 | TTFT p99 | inter-token p50 | inter-token p99 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['clients']} | {r['tokens_per_s']:.1f} | {r['requests']} | {r['errors']} | {fmt(r['ttft_p50'])} | "
                     f"{fmt(r['ttft_p99'])} | {fmt(r['itl_p50'])} | {fmt(r['itl_p99'])} |")
    lines += ["", "![serving](serving.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def plot(results: list[dict], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    clients = [r["clients"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(clients, [r["tokens_per_s"] for r in results], "o-", label="sluice")
    left.set_xscale("log", base=2)
    left.set_xlabel("concurrent clients")
    left.set_ylabel("completion tokens/s")
    left.legend()
    right.plot(clients, [r["ttft_p99"] for r in results], "o-", label="TTFT p99")
    right.plot(clients, [r["itl_p50"] for r in results], "o-", label="inter-token p50")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel("concurrent clients")
    right.set_ylabel("seconds")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    binary = os.environ.get("SLUICE_BIN") or sys.exit("set SLUICE_BIN")
    model = os.environ.get("SLUICE_MODEL", os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    duration = float(os.environ.get("DURATION", "30"))
    levels = [int(c) for c in os.environ.get("CLIENTS", "1,8,32").split(",")]
    extra = os.environ.get("SLUICE_ARGS", "--max-sequences 32 --max-batched-tokens 256").split()
    proc, url = start_server(binary, model, extra)
    try:
        model_id = httpx.get(url + "/v1/models").json()["data"][0]["id"]
        asyncio.run(run_level(url, model_id, 1, 3))  # warm-up
        results = []
        for clients in levels:
            result = asyncio.run(run_level(url, model_id, clients, duration))
            print(json.dumps(result), flush=True)
            results.append(result)
    finally:
        proc.terminate()
        proc.wait()
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    write_report(results, os.path.join(out_dir, "serving.md"), extra, duration)
    plot(results, os.path.join(out_dir, "serving.png"))
    with open(os.path.join(out_dir, "serving.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

"""Cost of constrained decoding: closed-loop streaming chat, unconstrained vs `json_schema`-constrained,
same prompts (made from the schema corpus, tests/python/fixtures/structured_schemas), max_tokens 128,
temperature 0.7, a seed per request, at 1 and 32 clients. The two modes are interleaved in one run
on one server (each round runs both at every level, alternating which goes first), so both see the
same machine state. Reports completion tokens/s, TTFT and inter-token latency, the ratio
constrained/unconstrained (goal: tokens/s >= 90%), the documents' validity, and the grammar mask
microbenchmark of `sluice bench-grammar` when the binary has it.
Writes bench/results/structured.md, structured.png and structured.json.

Usage: SLUICE_BIN=... [SLUICE_MODEL=...] [ROUNDS=3] [DURATION=20] [CLIENTS=1,32] python bench/structured.py

Caveat printed in the report: a constrained answer ends when its document is complete, so it can be
shorter than the unconstrained one; closed-loop tokens/s then also carries more per-request cost
(prefill, admission). The mean completion tokens per request is reported for each mode, and the
inter-token latency, which has no such bias, alongside."""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serving import ROOT, cpu_model, percentile, start_server  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from structured_support import CORPUS_DIR, load_corpus, prompt_messages, validation_errors  # noqa: E402

MAX_TOKENS = 128
TEMPERATURE = 0.7
MODES = ("unconstrained", "constrained")
GRAMMAR_KEYS = ("mean_us", "p50_us", "p99_us", "max_us", "compile_ms_mean", "compile_ms_p99", "compile_ms_max",
                "warm_mean_us", "warm_p50_us", "warm_p99_us", "warm_max_us", "warm_compile_ms_mean", "warm_compile_ms_p99",
                "schema_compile_ms_mean", "schema_compile_ms_p99", "schemas", "vocabulary", "masks")


def request_body(model: str, corpus: list, seed: int, mode: str, max_tokens: int = MAX_TOKENS) -> tuple[str, dict]:
    name, schema = corpus[seed % len(corpus)]
    body = {"model": model, "stream": True, "max_tokens": max_tokens, "temperature": TEMPERATURE, "seed": seed,
            "stream_options": {"include_usage": True}, "messages": prompt_messages(schema)}
    if mode == "constrained":
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": name, "schema": schema, "strict": True}}
    return name, body


async def one_request(http: httpx.AsyncClient, url: str, name: str, body: dict, stats: dict) -> None:
    start = time.perf_counter()
    last = None
    text, finish = [], None
    async with http.stream("POST", url + "/v1/chat/completions", json=body) as response:
        if response.status_code != 200:
            detail = (await response.aread())[:300].decode(errors="replace")
            stats["errors"] += 1
            stats["error_samples"].append(f"{response.status_code} {name}: {detail}")
            return
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if "error" in chunk:
                stats["errors"] += 1
                stats["error_samples"].append(f"stream error {name}: {line[:300]}")
                return
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
                    text.append(choice["delta"]["content"])
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
    stats["requests"] += 1
    stats["finish"][finish] = stats["finish"].get(finish, 0) + 1
    stats["documents"].append((name, "".join(text), finish))


async def run_cell(url: str, model: str, corpus: list, mode: str, clients: int, duration: float, seed_base: int) -> dict:
    stats = {"tokens": 0, "ttft": [], "itl": [], "requests": 0, "errors": 0, "error_samples": [], "finish": {},
             "documents": []}
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)

    async def client_loop(index: int) -> None:
        seed = seed_base + index * 100_000
        while time.perf_counter() < deadline and stats["errors"] < 100:  # a refusing server is not measured
            name, body = request_body(model, corpus, seed, mode)
            await one_request(http, url, name, body, stats)
            seed += 1

    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return {"mode": mode, "clients": clients, "seconds": elapsed, "tokens_per_s": stats["tokens"] / elapsed,
            "requests": stats["requests"], "errors": stats["errors"], "error_samples": stats["error_samples"][:5],
            "tokens_per_request": stats["tokens"] / max(1, stats["requests"]), "finish": stats["finish"],
            "ttft_p50": percentile(stats["ttft"], 50), "ttft_p99": percentile(stats["ttft"], 99),
            "itl_p50": percentile(stats["itl"], 50), "itl_p99": percentile(stats["itl"], 99),
            "documents": stats["documents"]}


async def warm_up(url: str, model: str, corpus: list, concurrency: int = 8) -> dict:
    """Every schema once (its grammar compiled, if the server caches grammars), recording the cold TTFT."""
    stats = {"tokens": 0, "ttft": [], "itl": [], "requests": 0, "errors": 0, "error_samples": [], "finish": {},
             "documents": []}
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=600) as http:
        async def one(seed: int) -> None:
            async with semaphore:
                name, body = request_body(model, corpus, seed, "constrained", max_tokens=8)
                await one_request(http, url, name, body, stats)
        await asyncio.gather(*(one(seed) for seed in range(len(corpus))))
        cold = list(stats["ttft"])
        for seed in range(4):  # and the unconstrained path
            name, body = request_body(model, corpus, seed, "unconstrained", max_tokens=8)
            await one_request(http, url, name, body, stats)
    return {"ttft_p50": percentile(cold, 50), "ttft_p99": percentile(cold, 99),
            "errors": stats["errors"], "error_samples": stats["error_samples"][:5]}


def validity(cells: list[dict], corpus: dict) -> dict:
    """Constrained documents, every one validated: `stop` ones finished on their own; `length` ones were
    closed by the grammar to fit max_tokens (Sluice's budget-aware closing), so they must validate too."""
    stopped = valid = length = length_valid = 0
    failures = []
    for cell in cells:
        if cell["mode"] != "constrained":
            continue
        for name, text, finish in cell["documents"]:
            if finish == "length":
                length += 1
            else:
                stopped += 1
            try:
                errors = validation_errors(corpus[name], json.loads(text))
            except ValueError as error:
                errors = [f"not JSON: {error}"]
            if errors:
                failures.append(f"{name} ({finish}): {errors[0]} in {text[:120]!r}")
            elif finish == "length":
                length_valid += 1
            else:
                valid += 1
    return {"stopped": stopped, "valid": valid, "length": length, "length_valid": length_valid, "failures": failures[:10]}


# ---------------------------------------------------------------- grammar microbenchmark

def grammar_microbench(binary: str, model: str) -> dict | None:
    """Runs `$SLUICE_BIN bench-grammar --model M --corpus tests/python/fixtures/structured_schemas --json` and
    returns its JSON (mean_us, p50_us, p99_us, max_us: per-token mask time, first pass with every cache cold;
    warm_*: a second pass with the vocabulary's shared caches warm; compile_ms_*: grammar → vocabulary
    preparation; schema_compile_ms_*: JSON Schema → grammar), or None when the binary has no such command."""
    try:
        done = subprocess.run([binary, "bench-grammar", "--model", model, "--corpus", CORPUS_DIR, "--json"], capture_output=True,
                              text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"bench-grammar not run: {error}", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"bench-grammar unavailable (exit {done.returncode}): {done.stderr.strip()[:300]}", file=sys.stderr)
        return None
    try:
        return json.loads(done.stdout)
    except ValueError:
        pass
    for line in reversed(done.stdout.strip().splitlines()):  # one JSON line after log lines
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    print(f"bench-grammar printed no JSON: {done.stdout[:300]}", file=sys.stderr)
    return None


def grammar_section(result: dict | None) -> list[str]:
    lines = ["## Grammar mask microbenchmark (`sluice bench-grammar`)", ""]
    if result is None:
        return lines + ["Not measured: this `sluice` binary has no `bench-grammar` command yet.", ""]
    lines += [f"`sluice bench-grammar --corpus tests/python/fixtures/structured_schemas --json` over the "
              f"{result.get('schemas', 'corpus')} schemas and the model's {result.get('vocabulary', '?')}-token "
              f"vocabulary, {result.get('masks', '?')} timed masks per pass along random walks (one core). "
              "Goal: mask mean ≤ 50 µs, p99 ≤ 500 µs, compile ≤ 10 ms for typical schemas. "
              "Anchors (MaskBench, one core): llguidance 47 µs mean / 460 µs p99, XGrammar 292 µs mean, "
              "llama.cpp GBNF 14.5 ms mean.", "",
              "| pass | mask mean | p50 | p99 | max | grammar compile mean | p99 | max |",
              "|---|---|---|---|---|---|---|---|"]
    fmt = lambda key, unit: f"{result[key]:.1f} {unit}" if isinstance(result.get(key), (int, float)) else "n/a"
    lines.append("| first (caches cold) | " + " | ".join([fmt("mean_us", "µs"), fmt("p50_us", "µs"), fmt("p99_us", "µs"),
                                    fmt("max_us", "µs"), fmt("compile_ms_mean", "ms"), fmt("compile_ms_p99", "ms"),
                                    fmt("compile_ms_max", "ms")]) + " |")
    lines.append("| second (shared caches warm) | " + " | ".join([fmt("warm_mean_us", "µs"), fmt("warm_p50_us", "µs"),
                                    fmt("warm_p99_us", "µs"), fmt("warm_max_us", "µs"), fmt("warm_compile_ms_mean", "ms"),
                                    fmt("warm_compile_ms_p99", "ms"), "n/a"]) + " |")
    lines += ["", f"JSON Schema → grammar: mean {fmt('schema_compile_ms_mean', 'ms')}, p99 {fmt('schema_compile_ms_p99', 'ms')} "
              "(grammar compile above is the grammar prepared for the vocabulary: rule automata; masks are cached lazily)."]
    extra = {k: v for k, v in result.items() if k not in GRAMMAR_KEYS}
    if extra:
        lines += ["", "Other fields: `" + json.dumps(extra)[:600] + "`"]
    return lines + [""]


# ---------------------------------------------------------------- report

def medians(cells: list[dict], mode: str, clients: int, key: str) -> float:
    values = [c[key] for c in cells if c["mode"] == mode and c["clients"] == clients]
    return statistics.median(values) if values else float("nan")


def write_report(cells, levels, rounds, duration, extra, warm, valid, grammar, corpus_size, path) -> None:
    fmt_s = lambda v: f"{v * 1000:.1f} ms" if v < 0.01 else f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    lines = ["# Structured output: constrained vs unconstrained decoding", "",
             f"`bench/structured.py`: closed-loop streaming chat, each client sending requests back to back with "
             f"prompts made from the {corpus_size} corpus schemas (`tests/python/fixtures/structured_schemas`), "
             f"max_tokens {MAX_TOKENS}, temperature {TEMPERATURE}, a seed per request; *constrained* adds the schema as "
             f"`response_format` `json_schema` (strict), *unconstrained* sends the same prompt without it. "
             f"{rounds} rounds of {duration:.0f} s per cell, the two modes interleaved (alternating which goes first) on "
             f"one server. Server flags: `{' '.join(extra) or '(defaults)'}`. CPU: {cpu_model()}, {os.cpu_count()} cores; "
             f"load average when the report was written: {os.getloadavg()[0]:.1f}.", "",
             "## Medians over rounds", "",
             "| clients | mode | completion tok/s | tokens/request | TTFT p50 | TTFT p99 | inter-token p50 | inter-token p99 |",
             "|---|---|---|---|---|---|---|---|"]
    for clients in levels:
        for mode in MODES:
            lines.append(f"| {clients} | {mode} | {medians(cells, mode, clients, 'tokens_per_s'):.1f} | "
                         f"{medians(cells, mode, clients, 'tokens_per_request'):.1f} | "
                         f"{fmt_s(medians(cells, mode, clients, 'ttft_p50'))} | {fmt_s(medians(cells, mode, clients, 'ttft_p99'))} | "
                         f"{fmt_s(medians(cells, mode, clients, 'itl_p50'))} | {fmt_s(medians(cells, mode, clients, 'itl_p99'))} |")
    lines += ["", "## Ratio constrained / unconstrained (goal: tokens/s >= 0.90)", "",
              "| clients | tokens/s | per-round tokens/s ratios | TTFT p50 | inter-token p50 | meets goal |",
              "|---|---|---|---|---|---|"]
    for clients in levels:
        ratio = medians(cells, "constrained", clients, "tokens_per_s") / medians(cells, "unconstrained", clients, "tokens_per_s")
        per_round = [c["tokens_per_s"] / u["tokens_per_s"] for c, u in zip(
            [x for x in cells if x["mode"] == "constrained" and x["clients"] == clients],
            [x for x in cells if x["mode"] == "unconstrained" and x["clients"] == clients]) if u["tokens_per_s"]]
        ttft = medians(cells, "constrained", clients, "ttft_p50") / medians(cells, "unconstrained", clients, "ttft_p50")
        itl = medians(cells, "constrained", clients, "itl_p50") / medians(cells, "unconstrained", clients, "itl_p50")
        lines.append(f"| {clients} | {ratio:.2f} | {', '.join(f'{r:.2f}' for r in per_round)} | {ttft:.2f} | {itl:.2f} | "
                     f"{'yes' if ratio >= 0.9 else 'no'} |")
    errors = sum(c["errors"] for c in cells)
    lines += ["", "Tokens/request differs between the modes (a constrained answer ends when its document is complete): "
              "closed-loop tokens/s then carries more per-request cost for the shorter mode; inter-token latency "
              "does not.", "",
              "## Documents", "",
              f"Constrained answers that finished with `stop`: {valid['stopped']}, valid against their schema: "
              f"{valid['valid']}; closed by the grammar to fit max_tokens {MAX_TOKENS} (`length`): {valid['length']}, "
              f"valid: {valid['length_valid']}. "
              f"HTTP or stream errors in the measured cells: {errors}.",
              f"Warm-up (every schema once, grammar compile included): cold TTFT p50 {fmt_s(warm['ttft_p50'])}, "
              f"p99 {fmt_s(warm['ttft_p99'])}, errors {warm['errors']}.", ""]
    if valid["failures"]:
        lines += ["Invalid documents (first 10):", ""] + [f"- `{f}`" for f in valid["failures"]] + [""]
    samples = [s for c in cells for s in c["error_samples"]] + warm["error_samples"]
    if samples:
        lines += ["Errors (samples):", ""] + [f"- `{s[:200]}`" for s in samples[:5]] + [""]
    lines += ["## Per round", "", "| round | clients | mode | tok/s | requests | errors | TTFT p50 | inter-token p50 | finish |",
              "|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        lines.append(f"| {c['round']} | {c['clients']} | {c['mode']} | {c['tokens_per_s']:.1f} | {c['requests']} | "
                     f"{c['errors']} | {fmt_s(c['ttft_p50'])} | {fmt_s(c['itl_p50'])} | {json.dumps(c['finish'])} |")
    lines += ["", "![structured](structured.png)", ""]
    lines += grammar_section(grammar)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def plot(cells: list[dict], levels: list[int], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    width = 0.38
    for axis, key, label in zip(axes, ("tokens_per_s", "ttft_p50", "itl_p50"),
                                ("completion tokens/s", "TTFT p50 (s)", "inter-token p50 (s)")):
        for offset, mode, color in ((-width / 2, "unconstrained", "#8ab"), (width / 2, "constrained", "#d96")):
            xs = list(range(len(levels)))
            axis.bar([x + offset for x in xs], [medians(cells, mode, n, key) for n in levels], width, color=color,
                     label=mode)
            for x, n in zip(xs, levels):
                values = [c[key] for c in cells if c["mode"] == mode and c["clients"] == n]
                axis.plot([x + offset] * len(values), values, "k.", markersize=5)
        axis.set_xticks(range(len(levels)))
        axis.set_xticklabels([f"{n} client{'s' if n > 1 else ''}" for n in levels])
        axis.set_ylabel(label)
    axes[0].legend()
    ratios = [medians(cells, "constrained", n, "tokens_per_s") / medians(cells, "unconstrained", n, "tokens_per_s")
              for n in levels]
    axes[0].set_title("constrained/unconstrained: " + ", ".join(f"{r:.2f}" for r in ratios))
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    binary = os.environ.get("SLUICE_BIN") or sys.exit("set SLUICE_BIN")
    model = os.environ.get("SLUICE_MODEL", os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    duration = float(os.environ.get("DURATION", "20"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    levels = [int(c) for c in os.environ.get("CLIENTS", "1,32").split(",")]
    extra = os.environ.get("SLUICE_ARGS", "--max-sequences 32 --max-batched-tokens 256").split()
    corpus = load_corpus()
    grammar = grammar_microbench(binary, model)  # before the server starts: it measures the CPU alone
    proc, url = start_server(binary, model, extra)
    cells = []
    try:
        model_id = httpx.get(url + "/v1/models").json()["data"][0]["id"]
        warm = asyncio.run(warm_up(url, model_id, corpus))
        print(json.dumps({"warm_up": warm}), flush=True)
        for round_index in range(rounds):
            for clients in levels:
                order = MODES if round_index % 2 == 0 else MODES[::-1]
                for mode in order:
                    cell = asyncio.run(run_cell(url, model_id, corpus, mode, clients, duration,
                                                seed_base=round_index * 10_000_000))
                    cell["round"] = round_index
                    print(json.dumps({k: v for k, v in cell.items() if k != "documents"}), flush=True)
                    cells.append(cell)
    finally:
        proc.terminate()
        proc.wait()
    valid = validity(cells, dict(corpus))
    out_dir = os.path.join(ROOT, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    write_report(cells, levels, rounds, duration, extra, warm, valid, grammar, len(corpus),
                 os.path.join(out_dir, "structured.md"))
    plot(cells, levels, os.path.join(out_dir, "structured.png"))
    with open(os.path.join(out_dir, "structured.json"), "w") as f:
        json.dump({"cells": [{k: v for k, v in c.items() if k != "documents"} for c in cells], "warm_up": warm,
                   "validity": valid, "grammar": grammar}, f, indent=1)
    print(f"wrote {out_dir}/structured.md", flush=True)


if __name__ == "__main__":
    main()

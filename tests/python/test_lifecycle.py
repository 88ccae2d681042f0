"""Start and shutdown of `sluice serve` through its ServiceGroup, against the real binary and
model: SIGTERM drains in-flight streams within --shutdown-grace and exits 0; a second SIGTERM
stops at once. Also checks the HTTP and process series of /metrics on a live server."""
from __future__ import annotations

import concurrent.futures
import signal
import threading
import time

import httpx
import pytest

from conftest import RunningServer, start_sluice
from openai_tap import metric_value

STREAMS = 8


def start(sluice_bin: str, model_path: str, grace: str) -> RunningServer:
    return start_sluice(sluice_bin, ["--model", model_path, "--shutdown-grace", grace, "--access-log", "false",
                                     "--max-sequences", "16"])


def model_id(server: RunningServer) -> str:
    return httpx.get(server.base_url + "/v1/models").json()["data"][0]["id"]


# SmolLM2's end tokens (<|endoftext|>, <|im_end|>) banned: the stream runs to max_tokens.
NO_END = {"0": -100, "2": -100}


def stream_chat(base_url: str, model: str, max_tokens: int, started: threading.Barrier) -> str:
    """One streamed chat completion; signals `started` once its first chunk arrived, then reads to the end."""
    body = {"model": model, "stream": True, "max_tokens": max_tokens, "temperature": 0, "logit_bias": NO_END,
            "messages": [{"role": "user", "content": "Tell me a long story about a lighthouse keeper."}]}
    received = ""
    waited = False
    try:
        with httpx.stream("POST", base_url + "/v1/chat/completions", json=body, timeout=120) as response:
            assert response.status_code == 200
            for chunk in response.iter_text():
                received += chunk
                if not waited and "data: " in received:
                    waited = True
                    started.wait(timeout=60)
    except httpx.HTTPError:
        pass  # a stream cut short: what arrived is checked by the caller
    finally:
        if not waited:
            started.abort()
    return received


def run_streams(server: RunningServer, max_tokens: int):
    started = threading.Barrier(STREAMS + 1)
    pool = concurrent.futures.ThreadPoolExecutor(STREAMS)
    model = model_id(server)
    futures = [pool.submit(stream_chat, server.base_url, model, max_tokens, started) for _ in range(STREAMS)]
    started.wait(timeout=60)  # every stream has its first chunk: all 8 are in flight
    return pool, futures


def test_sigterm_drains_streaming_requests_and_exits_zero(sluice_bin, model_path):
    server = start(sluice_bin, model_path, grace="60")
    try:
        pool, futures = run_streams(server, max_tokens=48)
        server.proc.send_signal(signal.SIGTERM)
        # The listener closes at once: new connections are refused while the streams drain.
        deadline = time.time() + 5
        refused = False
        while time.time() < deadline and not refused:
            try:
                httpx.get(server.base_url + "/health", timeout=1)
                time.sleep(0.05)
            except httpx.ConnectError:
                refused = True
        bodies = [future.result(timeout=120) for future in futures]
        pool.shutdown()
        for body in bodies:
            assert body.rstrip().endswith("data: [DONE]"), body[-300:]
            assert '"finish_reason":"length"' in body.replace(" ", "")
        assert refused, "the server still accepted connections after SIGTERM"
        assert server.proc.wait(timeout=30) == 0, server.log()
        assert "shutting down" in server.log()
    finally:
        server.stop(signal.SIGKILL)


def test_second_sigterm_during_the_grace_period_exits_at_once(sluice_bin, model_path):
    server = start(sluice_bin, model_path, grace="120")
    try:
        pool, futures = run_streams(server, max_tokens=4000)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None, "the first SIGTERM must drain, not exit"
        second_at = time.time()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=10)
        assert time.time() - second_at < 5
        assert code == 128 + signal.SIGTERM, server.log()
        bodies = [future.result(timeout=30) for future in futures]
        pool.shutdown()
        # None completed: each was cut, or ended with the engine's shutting-down error.
        for body in bodies:
            assert '"finish_reason":"length"' not in body.replace(" ", ""), body[-300:]
            assert '"shutting_down"' in body or not body.rstrip().endswith("data: [DONE]"), body[-300:]
    finally:
        server.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def metrics_server(sluice_bin, model_path):
    server = start(sluice_bin, model_path, grace="5")
    yield server
    server.stop()


def test_metrics_count_requests_by_route_pattern_with_stream_durations(metrics_server):
    base = metrics_server.base_url
    barrier = threading.Barrier(1)
    body = stream_chat(base, model_id(metrics_server), 8, barrier)
    assert "data: [DONE]" in body
    httpx.get(base + "/v1/models/no-such-model")
    httpx.get(base + "/definitely/not/a/route")
    text = httpx.get(base + "/metrics").text
    chat = 'route="/v1/chat/completions",status="200"'
    assert metric_value(text, "sluice_http_requests_total{" + chat + "}") >= 1
    assert metric_value(text, "sluice_http_request_duration_seconds_count{" + chat + "}") >= 1
    # The stream's duration is observed when it ends: its sum is at least a token's time.
    assert metric_value(text, "sluice_http_request_duration_seconds_sum{" + chat + "}") > 0
    assert metric_value(text, 'sluice_http_requests_total{route="unmatched",status="404"}') >= 1
    assert "/definitely/not/a/route" not in text
    assert metric_value(text, "process_resident_memory_bytes") > 10_000_000
    assert metric_value(text, "process_open_fds") > 3
    assert metric_value(text, "process_cpu_seconds_total") > 0
    assert "# TYPE process_cpu_seconds_total counter" in text

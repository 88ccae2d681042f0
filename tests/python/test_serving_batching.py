"""Continuous batching seen from outside: outputs do not depend on the company a request keeps,
and a client that leaves gives its KV blocks back at once (checked through /metrics)."""
from __future__ import annotations

import concurrent.futures
import socket
import time

import httpx

from openai_tap import client, llm_server, make_client, metric_value, model_id, tap  # noqa: F401  (fixtures)

NEAR_TIE = 0.1  # nats between the top two candidates (shared/reference/README.md)


def greedy_with_logprobs(client, model_id, content, max_tokens=16):
    response = client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": content}],
                                              temperature=0, max_tokens=max_tokens, logprobs=True, top_logprobs=2)
    return response.choices[0]


def assert_same_up_to_near_tie(alone, other):
    """Token by token; at the first difference the reference run must have had a near tie."""
    a, b = alone.logprobs.content, other.logprobs.content
    for index, (x, y) in enumerate(zip(a, b)):
        if x.token != y.token:
            top = sorted((alt.logprob for alt in x.top_logprobs), reverse=True)
            assert len(top) >= 2 and top[0] - top[1] < NEAR_TIE, f"diverged at token {index}: {x.token!r} vs {y.token!r}"
            return
    assert alone.message.content == other.message.content


def test_greedy_output_is_the_same_alone_and_among_16_others(client, model_id):
    question = "Describe a sunrise over the mountains."
    alone = greedy_with_logprobs(client, model_id, question)
    others = [f"Write a sentence about the number {i}." for i in range(16)]
    with concurrent.futures.ThreadPoolExecutor(17) as pool:
        busy = [pool.submit(greedy_with_logprobs, client, model_id, text, 24) for text in others]
        time.sleep(0.05)  # join a batch that is already decoding
        crowded = pool.submit(greedy_with_logprobs, client, model_id, question)
        for future in busy:
            future.result()
        assert_same_up_to_near_tie(alone, crowded.result())


def metrics(base_url: str) -> str:
    return httpx.get(base_url + "/metrics").text


def test_client_that_disconnects_mid_stream_frees_its_blocks_within_a_step(llm_server, model_id):
    base = llm_server.base_url
    assert metric_value(metrics(base), "sluice_kv_blocks_used") == 0
    host, port = llm_server.host_port
    body = ('{"model": "%s", "stream": true, "max_tokens": 400, "messages": [{"role": "user", "content": '
            '"Tell me a very long story about a dragon."}]}' % model_id).encode()
    sock = socket.create_connection((host, port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    received = b""
    while received.count(b"data: ") < 4:  # role chunk plus a few tokens: it is decoding
        received += sock.recv(65536)
    assert metric_value(metrics(base), "sluice_kv_blocks_used") > 0
    steps_at_close = metric_value(metrics(base), "sluice_engine_steps_total")
    sock.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        text = metrics(base)
        if metric_value(text, "sluice_kv_blocks_used") == 0:
            break
        time.sleep(0.005)
    text = metrics(base)
    assert metric_value(text, "sluice_kv_blocks_used") == 0
    assert metric_value(text, "sluice_sequences_running") == 0
    # One step may have been in flight when the client left; the next boundary frees the blocks.
    assert metric_value(text, "sluice_engine_steps_total") - steps_at_close <= 2
    assert 'sluice_requests_total{status="cancelled"}' in text
    assert metric_value(text, 'sluice_requests_total{status="cancelled"}') >= 1


def test_metrics_exposition_has_the_serving_series(llm_server):
    text = metrics(llm_server.base_url)
    for name in ["sluice_requests_waiting", "sluice_sequences_running", "sluice_kv_blocks_used", "sluice_kv_blocks_total",
                 "sluice_prefix_cache_hit_tokens_total", "sluice_prompt_tokens_total", "sluice_generation_tokens_total",
                 "sluice_batch_size_sequences_bucket", "sluice_step_duration_seconds_bucket",
                 "sluice_time_to_first_token_seconds_bucket", "sluice_inter_token_latency_seconds_bucket"]:
        assert name in text, name
    assert metric_value(text, "sluice_kv_blocks_total") == 1024


def test_tokenize_and_detokenize_round_trip(llm_server, model_id):
    base = llm_server.base_url
    tokens = httpx.post(base + "/tokenize", json={"model": model_id, "prompt": "Hello, world!"}).json()
    assert tokens["count"] == len(tokens["tokens"]) > 0
    assert tokens["max_model_len"] > 0
    text = httpx.post(base + "/detokenize", json={"model": model_id, "tokens": tokens["tokens"]}).json()
    assert text["prompt"] == "Hello, world!"
    special = httpx.post(base + "/tokenize", json={"prompt": "<|im_start|>"}).json()
    assert special["count"] == 1
    bad = httpx.post(base + "/detokenize", json={"tokens": [10**9]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tokens[0]"
    assert httpx.post(base + "/tokenize", json={"model": "nope", "prompt": "x"}).status_code == 404


def test_client_that_leaves_a_non_streaming_request_cancels_it(llm_server, model_id):
    base = llm_server.base_url
    cancelled_before = metric_value(metrics(base), 'sluice_requests_total{status="cancelled"}')
    host, port = llm_server.host_port
    body = ('{"model": "%s", "max_tokens": 400, "messages": [{"role": "user", "content": '
            '"Write a long essay about rivers."}]}' % model_id).encode()
    sock = socket.create_connection((host, port))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    deadline = time.time() + 10
    while metric_value(metrics(base), "sluice_kv_blocks_used") == 0 and time.time() < deadline:
        time.sleep(0.01)  # admitted and running
    sock.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        text = metrics(base)
        if metric_value(text, "sluice_kv_blocks_used") == 0:
            break
        time.sleep(0.01)
    assert metric_value(text, "sluice_kv_blocks_used") == 0
    assert metric_value(text, 'sluice_requests_total{status="cancelled"}') == cancelled_before + 1

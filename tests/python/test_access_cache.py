"""The response cache through the real chat route, on the in-memory store and on Redis:
tenant-scoped, every generation parameter in the key, faithful stream replay, both shapes
served from one entry, Cache-Control and the opt-in header."""
from __future__ import annotations

import pytest
import requests

from access_support import PEPPER, Store, start_gateway

MODEL = "SmolLM2-135M-Instruct.Q4_1"


@pytest.fixture(scope="module", params=["memory", "redis"])
def gateway(request, sluice_bin, model_path, tmp_path_factory):
    if request.param == "redis":
        redis = request.getfixturevalue("module_redis")
        store = Store("redis", ["--redis", redis.url, "--key-pepper", PEPPER], redis)
    else:
        store = Store("memory", ["--data-dir", str(tmp_path_factory.mktemp("data"))])
    gw = start_gateway(sluice_bin, model_path, store, "--cache-ttl", "300")
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory):
    import shutil
    import socket
    import subprocess
    import time

    from conftest import RedisServer, free_port
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield RedisServer(proc=proc, port=port)
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def keys(gateway):
    return gateway.create_key(name="a")["key"], gateway.create_key(name="b")["key"]


counter = iter(range(10_000))


def body(**overrides) -> dict:
    request = {"model": MODEL, "messages": [{"role": "user", "content": f"Name a colour ({next(counter)})"}],
               "max_tokens": 3, "temperature": 0}
    request.update(overrides)
    return request


def chat(gateway, key: str, request: dict, headers=None) -> requests.Response:
    all_headers = {"Authorization": f"Bearer {key}", **(headers or {})}
    return requests.post(gateway.url + "/v1/chat/completions", json=request, headers=all_headers, timeout=60)


def test_second_identical_request_is_a_hit_for_the_same_tenant_only(gateway, keys):
    a, b = keys
    request = body()
    first = chat(gateway, a, request)
    assert first.status_code == 200 and first.headers["x-sluice-cache"] == "miss"
    second = chat(gateway, a, request)
    assert second.headers["x-sluice-cache"] == "hit"
    assert second.json() == first.json()
    assert chat(gateway, b, request).headers["x-sluice-cache"] == "miss"


@pytest.mark.parametrize("change", [{"max_tokens": 2}, {"temperature": 0, "seed": 7}, {"top_p": 0.5},
                                    {"stop": ["x"]}, {"presence_penalty": 0.5}, {"logit_bias": {"5": 1}},
                                    {"logprobs": True}])
def test_every_generation_parameter_is_part_of_the_key(gateway, keys, change):
    request = body()
    assert chat(gateway, keys[0], request).headers["x-sluice-cache"] == "miss"
    assert chat(gateway, keys[0], {**request, **change}).headers["x-sluice-cache"] == "miss"


def test_user_field_does_not_split_the_cache(gateway, keys):
    request = body()
    chat(gateway, keys[0], request)
    assert chat(gateway, keys[0], {**request, "user": "someone"}).headers["x-sluice-cache"] == "hit"


def sse_lines(response: requests.Response) -> list[str]:
    return [line for line in response.text.split("\n") if line.startswith("data: ")]


def test_cached_stream_replays_the_same_chunks(gateway, keys):
    request = body(stream=True, stream_options={"include_usage": True})
    first = chat(gateway, keys[0], request)
    assert first.headers["x-sluice-cache"] == "miss"
    second = chat(gateway, keys[0], request)
    assert second.headers["x-sluice-cache"] == "hit"
    assert sse_lines(second) == sse_lines(first)
    assert sse_lines(second)[-1] == "data: [DONE]" and len(sse_lines(second)) >= 4
    without_usage = chat(gateway, keys[0], body(stream=True, messages=request["messages"]))
    assert without_usage.headers["x-sluice-cache"] == "hit"
    assert '"usage":{' not in without_usage.text


def test_one_entry_serves_both_shapes(gateway, keys):
    streamed = body(stream=True)
    chat(gateway, keys[0], streamed)
    plain = chat(gateway, keys[0], {**streamed, "stream": False})
    assert plain.headers["x-sluice-cache"] == "hit"
    text = plain.json()["choices"][0]["message"]["content"]
    fresh = body()
    miss = chat(gateway, keys[0], fresh)
    replay = chat(gateway, keys[0], {**fresh, "stream": True})
    assert replay.headers["x-sluice-cache"] == "hit"
    import json
    content = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content", "")
                      for line in sse_lines(replay)[:-1] if json.loads(line[6:])["choices"])
    assert content == miss.json()["choices"][0]["message"]["content"]
    assert text is not None


def test_cache_control_and_opt_in(gateway, keys):
    request = body()
    chat(gateway, keys[0], request)
    assert chat(gateway, keys[0], request, {"Cache-Control": "no-cache"}).headers["x-sluice-cache"] == "miss"
    stored_not = body()
    chat(gateway, keys[0], stored_not, {"Cache-Control": "no-store"})
    assert chat(gateway, keys[0], stored_not).headers["x-sluice-cache"] == "miss"
    sampled = body(temperature=0.9)
    chat(gateway, keys[0], sampled)
    assert chat(gateway, keys[0], sampled).headers["x-sluice-cache"] == "miss"
    forced = body(temperature=0.9)
    chat(gateway, keys[0], forced, {"x-sluice-cache": "force"})
    assert chat(gateway, keys[0], forced, {"x-sluice-cache": "force"}).headers["x-sluice-cache"] == "hit"


def test_cache_is_off_by_default(sluice_bin, model_path, tmp_path):
    gw = start_gateway(sluice_bin, model_path, Store("memory", []))
    try:
        key = gw.create_key()["key"]
        request = body()
        chat(gw, key, request)
        assert chat(gw, key, request).headers.get("x-sluice-cache") is None
    finally:
        gw.stop()


def test_chat_route_enforces_the_key(gateway):
    limited = gateway.create_key(name="limited", rpm=1, allowed_models=[MODEL])
    assert chat(gateway, limited["key"], body()).status_code == 200
    rejected = chat(gateway, limited["key"], body())
    assert rejected.status_code == 429 and int(rejected.headers["Retry-After"]) >= 1
    other = gateway.create_key(name="other-model", allowed_models=["x"])
    assert chat(gateway, other["key"], body()).status_code == 404
    assert chat(gateway, "sk-wrong", body()).status_code == 401


def completion(gateway, key: str, request: dict, headers=None) -> requests.Response:
    return requests.post(gateway.url + "/v1/completions", json=request, timeout=60,
                         headers={"Authorization": f"Bearer {key}", **(headers or {})})


def test_completions_are_cached_and_replayed_in_both_shapes(gateway, keys):
    request = {"model": MODEL, "prompt": f"The sky is ({next(counter)})", "max_tokens": 3, "temperature": 0}
    first = completion(gateway, keys[0], request)
    assert first.status_code == 200 and first.headers["x-sluice-cache"] == "miss"
    second = completion(gateway, keys[0], request)
    assert second.headers["x-sluice-cache"] == "hit" and second.json() == first.json()
    assert completion(gateway, keys[1], request).headers["x-sluice-cache"] == "miss"
    streamed = completion(gateway, keys[0], {**request, "stream": True})
    assert streamed.headers["x-sluice-cache"] == "hit"
    import json
    text = "".join(json.loads(line[6:])["choices"][0]["text"] for line in sse_lines(streamed)[:-1]
                   if json.loads(line[6:])["choices"])
    assert text == first.json()["choices"][0]["text"]
    assert completion(gateway, keys[0], {**request, "max_tokens": 2}).headers["x-sluice-cache"] == "miss"


def test_streamed_completions_fill_the_cache_in_both_shapes(gateway, keys):
    """A streamed miss fills the cache like a collected one (the completions route used not to)."""
    request = {"model": MODEL, "prompt": f"The sea is ({next(counter)})", "max_tokens": 3, "temperature": 0,
               "stream": True}
    first = completion(gateway, keys[0], request)
    assert first.status_code == 200 and first.headers["x-sluice-cache"] == "miss"
    again = completion(gateway, keys[0], request)
    assert again.headers["x-sluice-cache"] == "hit"
    assert sse_lines(again) == sse_lines(first)
    import json
    streamed_text = "".join(json.loads(line[6:])["choices"][0]["text"] for line in sse_lines(first)[:-1]
                            if json.loads(line[6:])["choices"])
    plain = completion(gateway, keys[0], {**request, "stream": False})
    assert plain.headers["x-sluice-cache"] == "hit"
    assert plain.json()["choices"][0]["text"] == streamed_text
    assert plain.json()["usage"]["completion_tokens"] >= 1


def test_echo_completions_are_not_cached(gateway, keys):
    request = {"model": MODEL, "prompt": f"Echo ({next(counter)})", "max_tokens": 2, "temperature": 0, "echo": True}
    completion(gateway, keys[0], request)
    assert completion(gateway, keys[0], request).headers["x-sluice-cache"] == "miss"

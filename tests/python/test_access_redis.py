"""Replicas on one Redis: one limit for all, revocation everywhere within a second, leases
of a killed gateway free themselves, and the failure policy when Redis freezes or restarts."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from access_support import PEPPER, Store, start_gateway
from openai_schema import validate_openai


@pytest.fixture
def redis_store(redis_server) -> Store:
    return Store("redis", ["--redis", redis_server.url, "--key-pepper", PEPPER, "--redis-timeout-ms", "300"],
                 redis_server)


@pytest.fixture
def pair(sluice_bin, model_path, redis_store):
    a = start_gateway(sluice_bin, model_path, redis_store)
    b = start_gateway(sluice_bin, model_path, redis_store)
    yield a, b
    a.stop()
    b.stop()


def test_two_gateways_enforce_one_rpm_limit(pair):
    a, b = pair
    key = a.create_key(rpm=6)["key"]
    barrier = threading.Barrier(12)
    statuses: list[int] = []
    lock = threading.Lock()

    def fire(gateway) -> None:
        barrier.wait()
        status = gateway.hold(key).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=fire, args=(a if i % 2 else b,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 6 + [429] * 6


def test_revocation_through_one_gateway_reaches_the_other_within_a_second(pair):
    a, b = pair
    created = a.create_key()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert requests.get(b.url + "/v1/models", headers=headers, timeout=5).status_code == 200  # warms b's cache
    assert a.admin("DELETE", f"/v1/admin/keys/{created['id']}").status_code == 200
    revoked_at = time.monotonic()  # measured from the revoke response
    while requests.get(b.url + "/v1/models", headers=headers, timeout=5).status_code == 200:
        assert time.monotonic() - revoked_at <= 1.0, "revoked key still accepted by the other gateway after 1 s"
        time.sleep(0.02)
    assert time.monotonic() - revoked_at <= 1.0


def test_killed_gateway_frees_its_concurrency_slot_within_the_lease(sluice_bin, model_path, redis_store):
    doomed = start_gateway(sluice_bin, model_path, redis_store, "--lease-seconds", "2")
    survivor = start_gateway(sluice_bin, model_path, redis_store, "--lease-seconds", "2")
    try:
        key = doomed.create_key(max_concurrent=1)["key"]
        started, result = doomed.hold_in_background(key, hold_ms=20_000)
        assert started.wait(5) and result.get("status") == 200
        assert survivor.hold(key).status_code == 429
        doomed.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        while survivor.hold(key).status_code == 429:
            assert time.monotonic() - killed_at < 4, "slot still held after the lease time"
            time.sleep(0.2)
    finally:
        doomed.stop()
        survivor.stop()


def test_long_request_keeps_its_slot_past_the_lease(sluice_bin, model_path, redis_store):
    gw = start_gateway(sluice_bin, model_path, redis_store, "--lease-seconds", "1")
    try:
        key = gw.create_key(max_concurrent=1)["key"]
        started, result = gw.hold_in_background(key, hold_ms=2500)
        assert started.wait(5) and result.get("status") == 200
        time.sleep(1.8)  # past the lease: renewal must have kept it
        assert gw.hold(key).status_code == 429
    finally:
        gw.stop()


@pytest.mark.parametrize("policy", ["closed", "open"])
def test_frozen_redis_answers_within_the_timeout_and_follows_the_policy(sluice_bin, model_path, redis_store, policy):
    gw = start_gateway(sluice_bin, model_path, redis_store, "--redis-failure", policy)
    try:
        key = gw.create_key(rpm=100)["key"]
        assert gw.hold(key).status_code == 200
        os.kill(redis_store.redis.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(1.1)  # let the key cache entry expire: the next check must go to Redis
            started = time.monotonic()
            response = gw.hold(key, timeout=10)
            elapsed = time.monotonic() - started
            if policy == "closed":
                assert response.status_code == 503
                body = response.json()
                validate_openai("ErrorResponse", body)
                assert body["error"]["code"] == "store_unavailable"
            else:
                assert response.status_code == 200
            assert elapsed < 1.5, f"answered after {elapsed:.2f}s with a 0.3 s Redis timeout"
        finally:
            os.kill(redis_store.redis.proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 5
        while gw.hold(key).status_code != 200:
            assert time.monotonic() < deadline, "did not recover after SIGCONT"
            time.sleep(0.1)
    finally:
        gw.stop()


def test_redis_restart_recovers_without_a_gateway_restart(sluice_bin, model_path, redis_store, tmp_path):
    gw = start_gateway(sluice_bin, model_path, redis_store)
    try:
        key = gw.create_key(rpm=100)["key"]
        assert gw.hold(key).status_code == 200
        redis = redis_store.redis
        redis.proc.kill()
        redis.proc.wait()
        time.sleep(1.1)
        assert gw.hold(key).status_code == 503
        # Same port, empty data: keys are gone, so the key is now unknown (401) but the store answers.
        redis.proc = subprocess.Popen(["redis-server", "--port", str(redis.port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(tmp_path)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while True:
            status = gw.hold(key).status_code
            if status == 401:
                break
            assert time.monotonic() < deadline, f"still {status} after Redis came back"
            time.sleep(0.1)
        fresh = gw.create_key(rpm=100)["key"]
        assert gw.hold(fresh).status_code == 200
    finally:
        gw.stop()


def test_script_flush_does_not_break_limits(pair, redis_store):
    a, _ = pair
    key = a.create_key(rpm=2)["key"]
    assert a.hold(key).status_code == 200
    subprocess.run(["redis-cli", "-p", str(redis_store.redis.port), "SCRIPT", "FLUSH"], check=True,
                   stdout=subprocess.DEVNULL)
    assert a.hold(key).status_code == 200
    assert a.hold(key).status_code == 429


MODEL = "SmolLM2-135M-Instruct.Q4_1"


def open_stream(gateway, key: str, max_tokens: int = 3000):
    """Starts a long streaming chat completion and returns (connection, response) after its first chunk."""
    import http.client
    import json as _json

    host, port = gateway.server.host_port
    connection = http.client.HTTPConnection(host, port, timeout=30)
    body = _json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Count from 1 to 1000."}],
                        "max_tokens": max_tokens, "temperature": 0.7, "stream": True})
    connection.request("POST", "/v1/chat/completions", body=body,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.read(6) == b"data: "
    return connection, response


def short_chat(gateway, key: str) -> int:
    return requests.post(gateway.url + "/v1/chat/completions", timeout=60,
                         headers={"Authorization": f"Bearer {key}"},
                         json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}).status_code


def test_killed_gateway_mid_stream_frees_the_slot_of_a_real_chat_stream(sluice_bin, model_path, redis_store):
    doomed = start_gateway(sluice_bin, model_path, redis_store, "--lease-seconds", "2")
    survivor = start_gateway(sluice_bin, model_path, redis_store, "--lease-seconds", "2")
    try:
        key = doomed.create_key(max_concurrent=1)["key"]
        connection, _ = open_stream(doomed, key)
        assert short_chat(survivor, key) == 429
        doomed.stop(signal.SIGKILL)
        connection.close()
        killed_at = time.monotonic()
        while short_chat(survivor, key) == 429:
            assert time.monotonic() - killed_at < 4, "slot still held after the lease time"
            time.sleep(0.2)
    finally:
        doomed.stop()
        survivor.stop()


def test_client_abandoning_a_stream_frees_its_slot(sluice_bin, model_path, redis_store):
    gw = start_gateway(sluice_bin, model_path, redis_store)
    try:
        key = gw.create_key(max_concurrent=1)["key"]
        connection, _ = open_stream(gw, key)
        assert short_chat(gw, key) == 429
        connection.close()
        closed_at = time.monotonic()
        while short_chat(gw, key) == 429:
            assert time.monotonic() - closed_at < 3, "an abandoned stream kept its concurrency slot"
            time.sleep(0.1)
    finally:
        gw.stop()

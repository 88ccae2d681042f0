"""Keys, limits, usage: the behavioural suite, run on the in-memory store and on Redis."""
from __future__ import annotations

import time

import pytest
import requests

from access_support import ADMIN_KEY, PEPPER, Store, start_gateway
from openai_schema import validate_openai


@pytest.fixture(params=["memory", "redis"])
def store(request, tmp_path) -> Store:
    if request.param == "redis":
        redis = request.getfixturevalue("redis_server")
        return Store("redis", ["--redis", redis.url, "--key-pepper", PEPPER, "--redis-timeout-ms", "300"], redis)
    return Store("memory", ["--data-dir", str(tmp_path / "data")])


@pytest.fixture
def gateway(sluice_bin, model_path, store):
    gw = start_gateway(sluice_bin, model_path, store)
    yield gw
    gw.stop()


def error_of(response: requests.Response) -> dict:
    body = response.json()
    validate_openai("ErrorResponse", body)
    return body["error"]


def test_missing_and_wrong_keys_are_401_with_openai_body(gateway):
    missing = requests.get(gateway.url + "/v1/models", timeout=5)
    assert missing.status_code == 401
    assert error_of(missing)["code"] == "invalid_api_key"
    wrong = requests.get(gateway.url + "/v1/models", headers={"Authorization": "Bearer sk-nope"}, timeout=5)
    assert wrong.status_code == 401
    err = error_of(wrong)
    assert err["code"] == "invalid_api_key" and err["type"] == "invalid_request_error"
    created = gateway.create_key()
    forged = created["key"][:-4] + ("AAAA" if not created["key"].endswith("AAAA") else "BBBB")
    assert requests.get(gateway.url + "/v1/models", headers={"Authorization": f"Bearer {forged}"},
                        timeout=5).status_code == 401
    ok = requests.get(gateway.url + "/v1/models", headers={"Authorization": f"Bearer {created['key']}"}, timeout=5)
    assert ok.status_code == 200
    # Health stays open for load balancers.
    assert requests.get(gateway.url + "/health", timeout=5).status_code == 200


def test_admin_api_needs_the_admin_key(gateway):
    key = gateway.create_key()["key"]
    assert gateway.admin("GET", "/v1/admin/keys", key="wrong-admin-key-xxxxxxxx").status_code == 401
    forbidden = gateway.admin("GET", "/v1/admin/keys", key=key)
    assert forbidden.status_code == 403
    assert error_of(forbidden)["code"] == "insufficient_permissions"
    listed = gateway.admin("GET", "/v1/admin/keys")
    assert listed.status_code == 200
    text = listed.text
    assert key not in text and "secret" not in text and "hash" not in text


def test_admin_crud_and_validation(gateway):
    created = gateway.create_key(name="crud", allowed_models=["m"], rpm=10, tpm=1000, max_concurrent=2,
                                 token_budget={"tokens": 5000, "period": "day"}, metadata={"team": "a"})
    assert created["key"].startswith("sk-sluice-") and created["rpm"] == 10
    key_id = created["id"]
    shown = gateway.admin("GET", f"/v1/admin/keys/{key_id}").json()
    assert "key" not in shown and shown["token_budget"] == {"tokens": 5000, "period": "day"}
    patched = gateway.admin("PATCH", f"/v1/admin/keys/{key_id}", {"rpm": None, "name": "renamed"}).json()
    assert patched["rpm"] is None and patched["name"] == "renamed" and patched["tpm"] == 1000
    for body, param in [({"name": "x", "rpm": 0}, "rpm"), ({"name": "x", "rpm": "5"}, "rpm"), ({}, "name"),
                        ({"name": "x", "token_budget": {"tokens": 5, "period": "week"}}, "token_budget.period"),
                        ({"name": "x", "expires_at": 1}, "expires_at"), ({"name": "x", "rmp": 5}, "rmp"),
                        ({"name": "x", "metadata": {"a": 1}}, "metadata.a")]:
        bad = gateway.admin("POST", "/v1/admin/keys", body)
        assert bad.status_code == 400, body
        assert error_of(bad)["param"] == param
    assert gateway.admin("GET", "/v1/admin/keys/AAAAAAAAAAAA").status_code == 404
    assert gateway.admin("GET", "/v1/admin/keys/..%2f..").status_code == 404


def test_model_outside_the_allowed_list_is_404(gateway):
    key = gateway.create_key(allowed_models=["other-model"])["key"]
    response = gateway.hold(key, model="SmolLM2-135M-Instruct.Q4_1")
    assert response.status_code == 404
    assert error_of(response)["code"] == "model_not_found"


def test_revoked_and_expired_keys_are_401(gateway):
    created = gateway.create_key()
    assert gateway.admin("DELETE", f"/v1/admin/keys/{created['id']}").json()["revoked_at"] is not None
    response = requests.get(gateway.url + "/v1/models", headers={"Authorization": f"Bearer {created['key']}"}, timeout=5)
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]
    expiring = gateway.create_key(expires_at=int(time.time()) + 2)
    assert gateway.hold(expiring["key"]).status_code == 200
    time.sleep(2.2)
    assert gateway.hold(expiring["key"]).status_code == 401


def test_rotation_keeps_the_old_secret_for_the_grace_period(gateway):
    created = gateway.create_key()
    rotated = gateway.admin("POST", f"/v1/admin/keys/{created['id']}/rotate", {"grace_period_seconds": 1}).json()
    assert rotated["key"] != created["key"] and rotated["id"] == created["id"]
    assert gateway.hold(created["key"]).status_code == 200
    assert gateway.hold(rotated["key"]).status_code == 200
    time.sleep(1.3)
    assert gateway.hold(created["key"]).status_code == 401
    assert gateway.hold(rotated["key"]).status_code == 200


def test_rpm_limit_answers_429_with_openai_headers(gateway):
    key = gateway.create_key(rpm=2, tpm=1000)["key"]
    first = gateway.hold(key, prompt_tokens=10, max_tokens=10)
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["x-ratelimit-limit-tokens"] == "1000"
    assert first.headers["x-ratelimit-remaining-tokens"] == "980"
    assert first.headers["x-ratelimit-reset-requests"].endswith("s")
    assert gateway.hold(key).status_code == 200
    rejected = gateway.hold(key)
    assert rejected.status_code == 429
    assert error_of(rejected)["code"] == "rate_limit_exceeded"
    assert int(rejected.headers["Retry-After"]) >= 1
    assert rejected.headers["x-ratelimit-remaining-requests"] == "0"


def test_token_limit_and_budget(gateway):
    tpm_key = gateway.create_key(tpm=100)["key"]
    assert gateway.hold(tpm_key, prompt_tokens=40, max_tokens=40, actual_tokens=50).status_code == 200
    # 50 settled: 50 left, a reservation of 60 does not fit, 50 does.
    assert gateway.hold(tpm_key, prompt_tokens=30, max_tokens=30).status_code == 429
    assert gateway.hold(tpm_key, prompt_tokens=20, max_tokens=25, actual_tokens=45).status_code == 200
    budget_key = gateway.create_key(token_budget={"tokens": 100, "period": "month"})["key"]
    assert gateway.hold(budget_key, prompt_tokens=40, max_tokens=40, actual_tokens=80).status_code == 200
    spent = gateway.hold(budget_key, prompt_tokens=20, max_tokens=20)
    assert spent.status_code == 429
    err = error_of(spent)
    assert err["code"] == "insufficient_quota" and err["type"] == "insufficient_quota"


def test_rejected_requests_consume_nothing(gateway):
    # rpm=2, one at a time: A runs, B is rejected by concurrency, after A finishes C must pass.
    key = gateway.create_key(rpm=2, max_concurrent=1)["key"]
    started, result = gateway.hold_in_background(key, hold_ms=1500)
    assert started.wait(5) and result.get("status") == 200
    b = gateway.hold(key)
    assert b.status_code == 429
    deadline = time.time() + 5
    while time.time() < deadline and "error" not in result and gateway_busy(gateway, key):
        time.sleep(0.1)
    c = gateway.hold(key)
    assert c.status_code == 200, c.text


def gateway_busy(gateway, key) -> bool:
    # Looks at the concurrency slot without spending rpm: the usage route counts finished requests.
    usage = gateway.admin("GET", f"/v1/admin/keys/{key.split('-')[2]}/usage").json()["data"]
    return sum(day["requests"] for day in usage) < 1


def test_usage_is_recorded_per_day(gateway):
    created = gateway.create_key(tpm=10_000)
    for actual in (15, 25):
        assert gateway.hold(created["key"], prompt_tokens=10, max_tokens=50, actual_tokens=actual).status_code == 200
    deadline = time.time() + 3
    while True:
        usage = gateway.admin("GET", f"/v1/admin/keys/{created['id']}/usage").json()
        if usage["data"] or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(usage["data"]) == 1
    day = usage["data"][0]
    assert day["requests"] == 2 and day["prompt_tokens"] == 20 and day["completion_tokens"] == 20
    assert day["date"] == time.strftime("%Y-%m-%d", time.gmtime())


def test_admin_answers_match_our_openapi_document(gateway):
    import os

    import jsonschema
    import yaml
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    with open(os.path.join(root, "openapi", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    registry = Registry().with_resource("urn:sluice", Resource.from_contents(spec, default_specification=DRAFT202012))

    def check(name: str, instance) -> None:
        jsonschema.Draft202012Validator({"$ref": f"urn:sluice#/components/schemas/{name}"}, registry=registry).validate(instance)

    request = {"name": "spec", "rpm": 3, "token_budget": {"tokens": 9, "period": "day"}, "metadata": {"a": "b"}}
    check("CreateAPIKeyRequest", request)
    created = gateway.create_key(**request)
    check("CreatedAPIKey", created)
    check("APIKey", gateway.admin("GET", f"/v1/admin/keys/{created['id']}").json())
    check("APIKeyList", gateway.admin("GET", "/v1/admin/keys").json())
    check("CreatedAPIKey", gateway.admin("POST", f"/v1/admin/keys/{created['id']}/rotate", {}).json())
    check("APIKeyUsage", gateway.admin("GET", f"/v1/admin/keys/{created['id']}/usage").json())


def test_stream_abandoned_by_the_client_is_charged_the_tokens_generated(gateway):
    # Budget room for one full reservation (prompt + 1500), not two: charged as reserved, the
    # second stream below would be refused with insufficient_quota.
    created = gateway.create_key(tpm=1_000_000, token_budget={"tokens": 2400, "period": "day"})
    body = {"model": "SmolLM2-135M-Instruct.Q4_1", "messages": [{"role": "user", "content": "Tell a very long story."}],
            "max_tokens": 1500, "temperature": 0, "stream": True, "stream_options": {"include_usage": True}}
    headers = {"Authorization": f"Bearer {created['key']}"}

    def read_a_few_chunks_and_leave() -> None:
        with requests.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, stream=True,
                           timeout=60) as response:
            assert response.status_code == 200, response.text
            chunks = 0
            for line in response.iter_lines():
                if line.startswith(b"data: {"):
                    chunks += 1
                if chunks >= 4:
                    break
            assert chunks >= 4
        # Leaving the `with` closes the connection mid-stream.

    read_a_few_chunks_and_leave()
    deadline = time.time() + 10
    while True:
        usage = gateway.admin("GET", f"/v1/admin/keys/{created['id']}/usage").json()["data"]
        if usage or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(usage) == 1 and usage[0]["requests"] == 1
    assert usage[0]["prompt_tokens"] > 0
    assert 3 <= usage[0]["completion_tokens"] < 200, usage
    # The budget moved by the same small amount: a second full reservation still fits.
    read_a_few_chunks_and_leave()

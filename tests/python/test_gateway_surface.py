"""The OpenAI surface around the pipeline, live: routes without `/v1`, model aliases
(`/models`, `models.retrieve`, a chat request by alias), CORS, `X-Accel-Buffering` on streams,
and the config file (YAML and JSON) with flag > environment > file precedence."""
from __future__ import annotations

import json
import os
import subprocess

import openai
import pytest
import requests

from conftest import start_sluice

ORIGIN = "http://localhost:3000"
ALIAS = "gpt-4o-mini"


@pytest.fixture(scope="module")
def gateway(sluice_bin: str, model_path: str):
    """An open loopback server with one alias and one allowed browser origin."""
    model_id = os.path.basename(model_path).removesuffix(".gguf")
    srv = start_sluice(sluice_bin, ["--model", model_path, "--model-alias", f"{ALIAS}={model_id}",
                                    "--model-alias", "legacy-name", "--cors-origins", ORIGIN])
    srv.model_id = model_id
    yield srv
    srv.stop()


def test_models_answer_with_and_without_prefix(gateway):
    for path in ("/v1/models", "/models"):
        response = requests.get(gateway.base_url + path, timeout=5)
        assert response.status_code == 200, path
        entries = {entry["id"]: entry for entry in response.json()["data"]}
        assert gateway.model_id in entries
        assert entries[ALIAS]["sluice_alias_of"] == gateway.model_id
        assert entries["legacy-name"]["sluice_alias_of"] == gateway.model_id
        assert entries[ALIAS]["object"] == "model"


def test_models_retrieve_by_id_and_alias_through_the_sdk(gateway):
    for base in ("/v1", ""):
        client = openai.OpenAI(base_url=gateway.base_url + base, api_key="unused")
        assert client.models.retrieve(gateway.model_id).id == gateway.model_id
        alias = client.models.retrieve(ALIAS)
        assert alias.id == ALIAS
        assert alias.model_extra["sluice_alias_of"] == gateway.model_id
        with pytest.raises(openai.NotFoundError) as caught:
            client.models.retrieve("gpt-5")
        assert caught.value.body["code"] == "model_not_found"
        assert caught.value.body["param"] == "model"


def test_chat_without_prefix(gateway):
    response = requests.post(gateway.base_url + "/chat/completions", timeout=60, json={
        "model": gateway.model_id, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"
    response = requests.post(gateway.base_url + "/completions", timeout=60, json={
        "model": gateway.model_id, "prompt": "Hi", "max_tokens": 2})
    assert response.status_code == 200, response.text


def test_chat_and_completions_by_alias(gateway):
    """An app hard-wired to another model name works: the alias reaches the served model."""
    client = openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="unused")
    completion = client.chat.completions.create(model=ALIAS, messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    assert completion.choices[0].message is not None
    assert completion.model == gateway.model_id
    legacy = client.completions.create(model=ALIAS, prompt="Hi", max_tokens=2)
    assert legacy.model == gateway.model_id


def test_stream_is_not_buffered_by_proxies(gateway):
    with requests.post(gateway.base_url + "/v1/chat/completions", timeout=60, stream=True, json={
            "model": gateway.model_id, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2,
            "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Accel-Buffering"] == "no"
        assert b"[DONE]" in b"".join(response.iter_content(None))


def test_cache_replayed_stream_is_not_buffered_either(sluice_bin, model_path):
    srv = start_sluice(sluice_bin, ["--model", model_path, "--cache-ttl", "60"])
    try:
        request = {"model": os.path.basename(model_path).removesuffix(".gguf"), "stream": True, "max_tokens": 2,
                   "temperature": 0, "messages": [{"role": "user", "content": "Name a colour"}]}
        first = requests.post(srv.base_url + "/chat/completions", json=request, timeout=60)
        replay = requests.post(srv.base_url + "/chat/completions", json=request, timeout=60)
        assert (first.headers["x-sluice-cache"], replay.headers["x-sluice-cache"]) == ("miss", "hit")
        assert first.headers["X-Accel-Buffering"] == replay.headers["X-Accel-Buffering"] == "no"
    finally:
        srv.stop()


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions", "/v1/models", "/models/" + ALIAS])
def test_preflight_from_an_allowed_origin(gateway, path):
    response = requests.options(gateway.base_url + path, timeout=5, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "OPTIONS" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


def test_preflight_from_another_origin_gets_no_cors_headers(gateway):
    response = requests.options(gateway.base_url + "/v1/chat/completions", timeout=5, headers={
        "Origin": "http://evil.test", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    actual = requests.get(gateway.base_url + "/v1/models", headers={"Origin": "http://evil.test"}, timeout=5)
    assert "Access-Control-Allow-Origin" not in actual.headers


def test_actual_response_to_an_allowed_origin(gateway):
    response = requests.get(gateway.base_url + "/models", headers={"Origin": ORIGIN}, timeout=5)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    for name in ("x-request-id", "x-ratelimit-remaining-requests", "retry-after"):
        assert name in exposed


def test_preflight_needs_no_key_and_protection_covers_both_paths(sluice_bin, model_path):
    admin = "admin-key-0123456789"
    srv = start_sluice(sluice_bin, ["--model", model_path, "--admin-key", admin, "--cors-origins", ORIGIN])
    try:
        preflight = requests.options(srv.base_url + "/chat/completions", timeout=5, headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 204
        for path in ("/v1/models", "/models"):
            missing = requests.get(srv.base_url + path, headers={"Origin": ORIGIN}, timeout=5)
            assert missing.status_code == 401, path
            assert missing.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert requests.post(srv.base_url + "/chat/completions", timeout=5, json={}).status_code == 401
    finally:
        srv.stop()


def run_serve(sluice_bin: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sluice_bin, "serve", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_startup_refuses_bad_cors_and_aliases(sluice_bin, model_path):
    wildcard = run_serve(sluice_bin, ["--model", model_path, "--admin-key", "admin-key-0123456789", "--cors-origins", "*"])
    assert wildcard.returncode != 0
    assert "cors-origins * is allowed only on an open loopback server" in wildcard.stderr
    alias = run_serve(sluice_bin, ["--model", model_path, "--port", "0", "--model-alias", "gpt-4o=nope"])
    assert alias.returncode != 0
    assert "nope is not a served model" in alias.stderr


def test_help_lists_the_options_with_defaults(sluice_bin):
    result = subprocess.run([sluice_bin, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for text in ("--model-alias <alias=id>", "--cors-origins <origins>", "--port <n>", "Default: 8080.",
                 "Env: SLUICE_MAX_BODY_BYTES", "File: model_aliases", "--kv-cache-type <f16|f32>"):
        assert text in result.stdout, text


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_config_file_with_precedence(sluice_bin, model_path, tmp_path, suffix):
    settings = {"models": [{"path": model_path, "id": "from-file", "aliases": ["file-alias"]}],
                "cors_origins": [ORIGIN], "max_body_bytes": 100}
    if suffix == ".json":
        text = json.dumps(settings)
    else:
        text = (f"models:\n  - path: {json.dumps(model_path)}\n    id: from-file\n    aliases: [file-alias]\n"
                f"cors_origins: [{ORIGIN}]\nmax_body_bytes: 100\n")
    path = tmp_path / ("sluice" + suffix)
    path.write_text(text)
    srv = start_sluice(sluice_bin, ["--max-body-bytes", "300"], env={"SLUICE_CONFIG": str(path), "SLUICE_MAX_BODY_BYTES": "200"})
    try:
        ids = {entry["id"] for entry in requests.get(srv.base_url + "/models", timeout=5).json()["data"]}
        assert ids == {"from-file", "file-alias"}
        # The flag's 300 wins over the environment's 200 and the file's 100.
        assert requests.post(srv.base_url + "/v1/completions", data=b"x" * 250, timeout=5).status_code != 413
        assert requests.post(srv.base_url + "/v1/completions", data=b"x" * 350, timeout=5).status_code == 413
    finally:
        srv.stop()
    path.write_text(text.replace("max_body_bytes", "max_body_byte"))
    bad = run_serve(sluice_bin, ["--config", str(path)])
    assert bad.returncode != 0
    assert 'unknown key "max_body_byte"' in bad.stderr

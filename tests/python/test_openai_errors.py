"""Every error class the SDK raises for our errors, with OpenAI's envelope (schema-validated)."""
from __future__ import annotations

import concurrent.futures

import httpx
import openai
import pytest

from conftest import start_sluice
from openai_schema import validate_openai
from openai_tap import SchemaTap, client, llm_server, make_client, model_id, tap  # noqa: F401  (fixtures)

MESSAGES = [{"role": "user", "content": "Hello"}]


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-nope", messages=MESSAGES, max_tokens=2)
    assert caught.value.status_code == 404
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="gpt-nope", prompt="x", max_tokens=2)


def test_invalid_json_is_400_with_envelope(llm_server):
    response = httpx.post(llm_server.base_url + "/v1/chat/completions", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert response.status_code == 400
    validate_openai("ErrorResponse", response.json())
    assert response.json()["error"]["code"] == "invalid_json"


def test_wrong_parameter_type_names_the_param(client, model_id):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=MESSAGES, temperature=5)
    assert caught.value.param == "temperature"


def test_prompt_over_the_context_is_context_length_exceeded(client, model_id):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "word " * 5000}],
                                       max_tokens=16)
    assert caught.value.code == "context_length_exceeded"
    assert caught.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=model_id, prompt="word " * 5000, max_tokens=16)
    assert caught.value.code == "context_length_exceeded"
    assert caught.value.param == "prompt"


@pytest.mark.parametrize("extra, param", [
    ({"functions": [{"name": "get_weather", "parameters": {"type": "object"}}]}, "functions"),
    ({"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}, "audio"),
    ({"prediction": {"type": "content", "content": "x"}}, "prediction"),
    ({"web_search_options": {}}, "web_search_options"),
    ({"store": True}, "store"),
])
def test_unimplemented_openai_fields_are_refused_naming_the_param(client, model_id, extra, param):
    """Silently dropping them would answer plain text with a 200: the client must know."""
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=MESSAGES, max_tokens=2, **extra)
    assert caught.value.status_code == 400
    assert caught.value.param == param
    assert caught.value.code == "unsupported_parameter"
    validate_openai("ErrorResponse", caught.value.response.json())


def test_defaults_of_unimplemented_fields_and_vendor_extensions_are_accepted(client, model_id):
    answer = client.chat.completions.create(
        model=model_id, messages=MESSAGES, max_tokens=2, response_format={"type": "text"}, modalities=["text"],
        store=False, metadata={"team": "search"}, extra_body={"top_k": 5, "some_vendor_field": {"x": 1}})
    assert answer.choices[0].finish_reason in ("stop", "length")


def test_completions_refuse_best_of_and_suffix(client, model_id):
    for extra, param in [({"best_of": 3}, "best_of"), ({"suffix": " end."}, "suffix")]:
        with pytest.raises(openai.BadRequestError) as caught:
            client.completions.create(model=model_id, prompt="Once", max_tokens=2, **extra)
        assert caught.value.param == param


def test_burst_beyond_the_queue_gets_503_with_retry_after_and_admitted_requests_complete(sluice_bin, model_path):
    server = start_sluice(sluice_bin, ["--model", model_path, "--max-sequences", "1", "--max-waiting-requests", "2",
                                       "--access-log", "false"])
    try:
        model = httpx.get(server.base_url + "/v1/models").json()["data"][0]["id"]
        body = {"model": model, "messages": MESSAGES, "max_tokens": 8, "temperature": 0}

        def call(_):
            return httpx.post(server.base_url + "/v1/chat/completions", json=body, timeout=120)

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(call, range(12)))
        statuses = [r.status_code for r in responses]
        assert 503 in statuses and 200 in statuses, statuses
        assert set(statuses) <= {200, 503}
        for response in responses:
            if response.status_code == 503:
                assert int(response.headers["retry-after"]) >= 1
                validate_openai("ErrorResponse", response.json())
            else:
                validate_openai("CreateChatCompletionResponse", response.json())
                assert response.json()["choices"][0]["finish_reason"] in ("stop", "length")
        # The SDK's class for it (no retries, so the 503 surfaces).
        tap = SchemaTap()
        sdk = make_client(server.base_url, tap)
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            futures = [pool.submit(sdk.chat.completions.create, model=model, messages=MESSAGES, max_tokens=8) for _ in range(12)]
        errors = [f.exception() for f in futures if f.exception() is not None]
        assert errors and all(isinstance(e, openai.InternalServerError) and e.status_code == 503 for e in errors)
        tap.assert_clean()
    finally:
        server.stop()


def test_error_after_the_stream_started_is_an_sse_error_event(sluice_bin, model_path):
    # A request timeout far below the generation time: the stream has started, then fails.
    server = start_sluice(sluice_bin, ["--model", model_path, "--request-timeout", "0.3", "--access-log", "false"])
    try:
        tap = SchemaTap()
        sdk = make_client(server.base_url, tap)
        model = sdk.models.list().data[0].id
        received = []
        with pytest.raises(openai.APIError) as caught:
            # End-of-turn tokens banned, so the answer cannot finish before the timeout.
            eog = httpx.post(server.base_url + "/tokenize", json={"prompt": "<|im_end|><|endoftext|>"}).json()["tokens"]
            for chunk in sdk.chat.completions.create(model=model, messages=MESSAGES, max_tokens=2000, stream=True,
                                                     logit_bias={str(token): -100 for token in eog}):
                received.append(chunk)
        assert received, "the error must come after the stream started"
        assert "timed out" in str(caught.value)
        tap.assert_clean()
        assert tap.checked.get("ErrorResponse") == 1
    finally:
        server.stop()

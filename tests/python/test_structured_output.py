"""Structured output (`response_format`) against a live `sluice serve` and the real model.

The grammar guarantees the document's shape, not its content (a 135M model's content is poor), so
every assertion here is about shape: the answer parses and validates with `jsonschema` (Draft
2020-12, with format checking), and it does so for every choice, seed, stream and endpoint.
Every response body and stream event is also validated against OpenAI's own schemas by `tap`."""
from __future__ import annotations

import concurrent.futures
import json
import time

import httpx
import openai
import pytest

from conftest import start_sluice
from openai_tap import client, llm_server, model_id, tap  # noqa: F401  (fixtures)
from structured_support import (check_format_checkers, error_names_keyword, load_corpus, max_document_chars, prompt_messages, prompt_text,
                                validation_errors)

CORPUS = load_corpus()
SCHEMAS = dict(CORPUS)
CORPUS_MAX_TOKENS = 512
CORPUS_CONCURRENCY = 16


def json_schema_format(name: str, schema: dict, strict: bool = True) -> dict:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}


def assert_valid(schema: dict, text: str, what: str = "") -> object:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise AssertionError(f"{what} is not JSON ({error}): {text[:500]!r}") from None
    errors = validation_errors(schema, document)
    assert not errors, f"{what} does not validate: {errors[:5]} in {text[:500]!r}"
    return document


def chat(client, model_id, schema_name: str, **kwargs):
    schema = SCHEMAS[schema_name]
    kwargs.setdefault("max_tokens", 300)
    kwargs.setdefault("temperature", 0)
    return client.chat.completions.create(model=model_id, messages=kwargs.pop("messages", prompt_messages(schema)),
                                          response_format=json_schema_format(schema_name, schema), **kwargs)


def test_corpus_has_at_least_100_valid_schemas_and_format_checking_works():
    import jsonschema
    assert len(CORPUS) >= 100
    for name, schema in CORPUS:
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("description"), name
    check_format_checkers()
    # The checker rejects what it must, so a pass below means something.
    assert validation_errors({"type": "string", "format": "date-time"}, "yesterday")
    assert validation_errors({"type": "string", "format": "uuid"}, "1234")
    assert validation_errors({"type": "string", "format": "date"}, "2024-02-30")
    assert validation_errors({"type": "string", "format": "time"}, "25:00:00Z")
    assert validation_errors({"type": "string", "format": "email"}, "nobody")
    assert not validation_errors({"type": "string", "format": "date-time"}, "2024-02-29T12:00:00Z")
    assert not validation_errors({"type": "string", "format": "time"}, "12:00:00+02:00")


def test_every_corpus_schema_gives_a_valid_document(client, model_id):
    """The whole corpus, 16 requests at a time (the server batches them), greedy.

    Honest about truncation: a document cut by max_tokens cannot validate, so
    - every answer that finished with `stop` must validate;
    - every schema whose largest document fits in max_tokens (structured_support.max_document_chars,
      characters >= tokens) must finish with `stop`: hitting `length` there means the grammar let the
      model run on (whitespace, digits) where the schema does not;
    - at most 5% of the corpus may end with `length` (the unbounded schemas are the candidates)."""
    check_format_checkers()

    def run(index_item):
        index, (name, schema) = index_item
        started = time.perf_counter()
        # strict true and false alternate: both are enforced (Sluice does not refuse a strict schema for
        # having optional properties or open objects, as OpenAI's strict mode would).
        response = client.chat.completions.create(
            model=model_id, messages=prompt_messages(schema), temperature=0, max_tokens=CORPUS_MAX_TOKENS,
            response_format=json_schema_format(name, schema, strict=index % 2 == 0))
        return name, response, time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CORPUS_CONCURRENCY) as pool:
        results = list(pool.map(run, enumerate(CORPUS)))
    elapsed = time.perf_counter() - started

    failures, closed_early = [], []
    for name, response, _ in results:
        choice = response.choices[0]
        schema = SCHEMAS[name]
        if choice.finish_reason == "length":
            # The budget ran low: the grammar closed the document in the tokens left (Sluice's
            # ChoiceConstraint), so it must still parse and validate. A schema whose largest document
            # fits in max_tokens should never need that.
            closed_early.append(name)
            if max_document_chars(schema) <= CORPUS_MAX_TOKENS:
                failures.append(f"{name}: bounded schema (<= {max_document_chars(schema):.0f} chars) hit max_tokens: "
                                f"{choice.message.content[-200:]!r}")
        elif choice.finish_reason != "stop":
            failures.append(f"{name}: finish_reason {choice.finish_reason!r}")
            continue
        try:
            assert_valid(schema, choice.message.content, f"{name} ({choice.finish_reason})")
        except AssertionError as error:
            failures.append(str(error))
    tokens = sum(response.usage.completion_tokens for _, response, _ in results)
    print(f"\ncorpus: {len(results)} schemas in {elapsed:.1f} s, {tokens} completion tokens, "
          f"{len(closed_early)} closed early at max_tokens: {closed_early}")
    # Every answer validates, the ones the budget cut short included; the closed-early ones are all
    # unbounded schemas (recursion, open maps, free text) where the 135M model loops greedily.
    assert not failures, "\n".join(failures)
    assert all(max_document_chars(SCHEMAS[name]) > CORPUS_MAX_TOKENS for name in closed_early)


def test_json_schema_with_strict_false_is_still_enforced(client, model_id):
    schema = SCHEMAS["ecommerce_product"]
    response = client.chat.completions.create(
        model=model_id, messages=prompt_messages(schema), temperature=0, max_tokens=300,
        response_format=json_schema_format("ecommerce_product", schema, strict=False))
    assert response.choices[0].finish_reason == "stop"
    assert_valid(schema, response.choices[0].message.content)


def test_json_object_gives_a_json_object(client, model_id):
    """No schema: any JSON object. Its size is not bounded, so a `length` answer is accepted only as the
    start of an object; most prompts asking for a small object finish."""
    prompts = ["Give me a JSON object describing a cat with a name and an age.",
               "Return a JSON object with the keys city and country for Paris.",
               "Describe a book as a JSON object with title and year."]
    stopped = 0
    for prompt in prompts:
        response = client.chat.completions.create(
            model=model_id, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=200,
            response_format={"type": "json_object"})
        choice = response.choices[0]
        if choice.finish_reason == "stop":
            stopped += 1
            assert isinstance(json.loads(choice.message.content), dict), choice.message.content
        else:
            assert choice.finish_reason == "length"
            assert choice.message.content.lstrip().startswith("{"), choice.message.content
    assert stopped >= 2


def test_json_object_streamed_is_an_object(client, model_id):
    chunks = list(client.chat.completions.create(
        model=model_id, messages=[{"role": "user", "content": "Give me a JSON object with a name and an age."}],
        temperature=0, max_tokens=200, stream=True, response_format={"type": "json_object"}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    if chunks[-1].choices[0].finish_reason == "stop":
        assert isinstance(json.loads(text), dict), text
    else:
        assert text.lstrip().startswith("{")


def test_text_format_is_plain_text(client, model_id):
    response = client.chat.completions.create(
        model=model_id, messages=[{"role": "user", "content": "Name three colours."}], temperature=0, max_tokens=8,
        response_format={"type": "text"})
    assert isinstance(response.choices[0].message.content, str)
    assert response.choices[0].finish_reason in ("stop", "length")


def test_every_choice_of_n_validates(client, model_id):
    schema = SCHEMAS["misc_classification"]
    response = chat(client, model_id, "misc_classification", n=4, temperature=1.0, seed=7)
    assert [choice.index for choice in response.choices] == [0, 1, 2, 3]
    for choice in response.choices:
        assert choice.finish_reason == "stop"
        assert_valid(schema, choice.message.content, f"choice {choice.index}")


def test_same_seed_gives_the_same_document(client, model_id):
    schema = SCHEMAS["rpg_character"]
    first = chat(client, model_id, "rpg_character", temperature=0.9, seed=4242, max_tokens=700)
    second = chat(client, model_id, "rpg_character", temperature=0.9, seed=4242, max_tokens=700)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].finish_reason == "stop"
    assert_valid(schema, first.choices[0].message.content)


def test_streamed_document_equals_the_non_streamed_one_and_validates(client, model_id):
    schema = SCHEMAS["calendar_event"]
    whole = chat(client, model_id, "calendar_event", temperature=0.8, seed=11, max_tokens=500)
    chunks = list(chat(client, model_id, "calendar_event", temperature=0.8, seed=11, max_tokens=500, stream=True,
                       stream_options={"include_usage": True}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    assert finishes == [whole.choices[0].finish_reason]
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    if whole.choices[0].finish_reason == "stop":
        assert_valid(schema, text)


def test_streamed_n_choices_each_validate(client, model_id):
    schema = SCHEMAS["misc_sentiment"]
    chunks = list(chat(client, model_id, "misc_sentiment", n=2, temperature=1.0, seed=3, stream=True))
    texts = ["".join(c.delta.content or "" for chunk in chunks for c in chunk.choices if c.index == i) for i in (0, 1)]
    finishes = {c.index: c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason}
    assert finishes == {0: "stop", 1: "stop"}
    for text in texts:
        assert_valid(schema, text)


def test_logprobs_cover_the_constrained_tokens(client, model_id):
    schema = SCHEMAS["ecommerce_coupon"]
    response = chat(client, model_id, "ecommerce_coupon", logprobs=True, top_logprobs=2)
    choice = response.choices[0]
    assert choice.finish_reason == "stop"
    assert_valid(schema, choice.message.content)
    content = choice.logprobs.content
    assert "".join(token.token for token in content) == choice.message.content
    for token in content:
        assert token.logprob <= 0
        assert len(token.top_logprobs) == 2


def test_stop_string_the_schema_cannot_produce_leaves_the_document_whole(client, model_id):
    # Sizes, a hex colour, integers and a number: no 'z' can appear in a valid document.
    schema = SCHEMAS["ecommerce_product_variant"]
    response = chat(client, model_id, "ecommerce_product_variant", stop=["zz", "@@"])
    assert response.choices[0].finish_reason == "stop"
    assert_valid(schema, response.choices[0].message.content)


def test_max_tokens_truncation_reports_length(client, model_id):
    response = chat(client, model_id, "api_github_issue", max_tokens=5)
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 5


@pytest.mark.parametrize("stream", [False, True])
def test_completions_endpoint_accepts_response_format(client, model_id, stream):
    """Extension: the same `response_format` on /v1/completions; the text validates."""
    name = "person_address"
    schema = SCHEMAS[name]
    kwargs = dict(model=model_id, prompt=prompt_text(schema), max_tokens=400, temperature=0.7, seed=21,
                  extra_body={"response_format": json_schema_format(name, schema)})
    if stream:
        chunks = list(client.completions.create(stream=True, **kwargs))
        text = "".join(chunk.choices[0].text for chunk in chunks if chunk.choices)
        finish = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
        assert finish == ["stop"]
        assert text == client.completions.create(**kwargs).choices[0].text
    else:
        response = client.completions.create(**kwargs)
        assert response.choices[0].finish_reason == "stop"
        text = response.choices[0].text
    assert_valid(schema, text)


def test_completions_endpoint_json_object(client, model_id):
    response = client.completions.create(model=model_id, prompt="A JSON object describing a dog:\n", max_tokens=200,
                                         temperature=0, extra_body={"response_format": {"type": "json_object"}})
    choice = response.choices[0]
    if choice.finish_reason == "stop":
        assert isinstance(json.loads(choice.text), dict), choice.text
    else:
        assert choice.text.lstrip().startswith("{")


def test_response_cache_replays_a_structured_answer_and_keys_on_the_schema(sluice_bin, model_path):
    server = start_sluice(sluice_bin, ["--model", model_path, "--cache-ttl", "60", "--access-log", "false"])
    try:
        model = httpx.get(server.base_url + "/v1/models").json()["data"][0]["id"]
        schema = SCHEMAS["misc_yes_no"]
        body = {"model": model, "messages": prompt_messages(schema), "temperature": 0, "max_tokens": 200,
                "response_format": json_schema_format("misc_yes_no", schema)}
        first = httpx.post(server.base_url + "/v1/chat/completions", json=body, timeout=120)
        second = httpx.post(server.base_url + "/v1/chat/completions", json=body, timeout=120)
        assert first.status_code == second.status_code == 200, first.text
        assert (first.headers["x-sluice-cache"], second.headers["x-sluice-cache"]) == ("miss", "hit")
        content = first.json()["choices"][0]["message"]["content"]
        assert second.json()["choices"][0]["message"]["content"] == content
        assert_valid(schema, content)
        # Same messages, another schema: the format is part of the key, never a stale document.
        other = SCHEMAS["misc_classification"]
        third = httpx.post(server.base_url + "/v1/chat/completions", timeout=120,
                           json=dict(body, response_format=json_schema_format("misc_classification", other)))
        assert third.status_code == 200
        assert third.headers["x-sluice-cache"] == "miss"
        assert_valid(other, third.json()["choices"][0]["message"]["content"])
        # And json_object is not json_schema.
        fourth = httpx.post(server.base_url + "/v1/chat/completions", timeout=120,
                            json=dict(body, response_format={"type": "json_object"}))
        assert fourth.headers["x-sluice-cache"] == "miss"
    finally:
        server.stop()


# ---------------------------------------------------------------- errors

UNSUPPORTED = [
    ("not", {"type": "object", "properties": {"a": {"not": {"type": "null"}}}, "required": ["a"]}),
    ("if", {"type": "object", "properties": {"a": {"type": "integer"}},
            "if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["a"]}}),
    ("contentEncoding", {"type": "object", "properties": {"blob": {"type": "string", "contentEncoding": "base64"}}}),
]


@pytest.mark.parametrize("keyword, schema", UNSUPPORTED, ids=[k for k, _ in UNSUPPORTED])
def test_unsupported_schema_keyword_is_a_400_naming_it(client, model_id, keyword, schema):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "Hi"}], max_tokens=8,
                                       response_format=json_schema_format("x", schema))
    assert caught.value.status_code == 400
    assert (caught.value.param or "").startswith("response_format"), caught.value.param
    assert error_names_keyword(caught.value.param, caught.value.message, keyword), caught.value.message


def test_unsupported_keyword_on_completions_is_a_400_too(client, model_id):
    keyword, schema = UNSUPPORTED[0]
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=model_id, prompt="Hi", max_tokens=8,
                                  extra_body={"response_format": json_schema_format("x", schema)})
    assert (caught.value.param or "").startswith("response_format"), caught.value.param
    assert error_names_keyword(caught.value.param, caught.value.message, keyword), caught.value.message


def test_external_ref_is_a_400(client, model_id):
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.com/schemas/a.json"}}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "Hi"}], max_tokens=8,
                                       response_format=json_schema_format("x", schema))
    assert (caught.value.param or "").startswith("response_format"), caught.value.param
    assert error_names_keyword(caught.value.param, caught.value.message, "$ref"), caught.value.message


@pytest.mark.parametrize("response_format", [
    {"type": "json_schema"},
    {"type": "yaml"},
    {"type": "json_schema", "json_schema": {"name": "x", "schema": "not a schema"}},
    {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "strnig"}}},
    {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "required": "a"}}},
    "json",
], ids=["json_schema-missing", "unknown-type", "schema-not-object", "bad-type-name", "required-not-array", "not-object"])
def test_malformed_response_format_is_a_400_naming_it(client, model_id, response_format):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "Hi"}], max_tokens=8,
                                       response_format=response_format)
    assert caught.value.status_code == 400
    assert (caught.value.param or "").startswith("response_format"), caught.value.param


# ---------------------------------------------------------------- batching and other features together

def test_masks_stay_with_their_own_sequence_in_a_batch(client, model_id):
    """Constrained and unconstrained sequences decode in one batch: a mask must apply to its own row
    only. Greedy answers alone and in company are the same (up to a near tie, as in
    test_serving_batching), both for a plain request among constrained ones and the other way round."""
    from test_serving_batching import assert_same_up_to_near_tie

    plain = dict(model=model_id, messages=[{"role": "user", "content": "Describe a sunrise over the mountains."}],
                 temperature=0, max_tokens=24, logprobs=True, top_logprobs=2)
    name = "misc_weather_report"
    constrained = dict(model=model_id, messages=prompt_messages(SCHEMAS[name]), temperature=0, max_tokens=300,
                       logprobs=True, top_logprobs=2, response_format=json_schema_format(name, SCHEMAS[name]))
    plain_alone = client.chat.completions.create(**plain).choices[0]
    constrained_alone = client.chat.completions.create(**constrained).choices[0]
    company = [(other, SCHEMAS[other]) for other in ("ecommerce_order", "rpg_character", "food_recipe", "api_github_issue")]
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        busy = [pool.submit(client.chat.completions.create, model=model_id, messages=prompt_messages(schema),
                            temperature=0, max_tokens=200, response_format=json_schema_format(other, schema))
                for other, schema in company]
        busy += [pool.submit(client.chat.completions.create, model=model_id, temperature=0, max_tokens=200,
                             messages=[{"role": "user", "content": f"Write a sentence about the number {i}."}])
                 for i in range(4)]
        time.sleep(0.05)  # join a batch that is already decoding
        plain_crowded = pool.submit(client.chat.completions.create, **plain)
        constrained_crowded = pool.submit(client.chat.completions.create, **constrained)
        for future in busy:
            future.result()
        assert_same_up_to_near_tie(plain_alone, plain_crowded.result().choices[0])
        assert_same_up_to_near_tie(constrained_alone, constrained_crowded.result().choices[0])
    assert constrained_alone.finish_reason == "stop"
    assert_valid(SCHEMAS[name], constrained_alone.message.content)


def test_response_format_with_tools_and_tool_choice_none_is_a_valid_document(client, model_id):
    name = "misc_classification"
    tool = {"type": "function", "function": {"name": "escalate", "parameters": {
        "type": "object", "properties": {"reason": {"type": "string", "maxLength": 60}}, "required": ["reason"]}}}
    response = chat(client, model_id, name, tools=[tool], tool_choice="none")
    choice = response.choices[0]
    assert not choice.message.tool_calls
    assert choice.finish_reason == "stop"
    assert_valid(SCHEMAS[name], choice.message.content)


def test_response_format_with_tools_auto_gives_a_call_or_a_valid_document(client, model_id):
    name = "misc_classification"
    tool = {"type": "function", "function": {"name": "escalate", "parameters": {
        "type": "object", "properties": {"reason": {"type": "string", "maxLength": 60}}, "required": ["reason"],
        "additionalProperties": False}}}
    choice = chat(client, model_id, name, tools=[tool], tool_choice="auto").choices[0]
    if choice.message.tool_calls:
        assert choice.finish_reason == "tool_calls"
        for call in choice.message.tool_calls:
            assert call.function.name == "escalate"
            assert not validation_errors(tool["function"]["parameters"], json.loads(call.function.arguments))
    else:
        assert choice.finish_reason == "stop"
        assert_valid(SCHEMAS[name], choice.message.content)

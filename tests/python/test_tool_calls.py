"""Tool calling (`tools`, `tool_choice`, `parallel_tool_calls`) against a live `sluice serve`.

With `tool_choice` "required" or a named function the grammar guarantees a call whose arguments
validate against that tool's `parameters`; the model's choice of values is not asserted (135M
parameters), only the OpenAI shape and the schema. Every body and stream event is also checked
against OpenAI's own schemas by `tap`."""
from __future__ import annotations

import json
from typing import Literal

import openai
import pydantic
import pytest

from openai_tap import client, llm_server, model_id, tap  # noqa: F401  (fixtures)
from structured_support import error_names_keyword, validation_errors

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "minLength": 1, "maxLength": 40},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"], "additionalProperties": False}}}
FLIGHT = {"type": "function", "function": {
    "name": "book_flight", "description": "Book a flight between two airports.",
    "parameters": {"type": "object", "properties": {
        "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "date": {"type": "string", "format": "date"},
        "passengers": {"type": "integer", "minimum": 1, "maximum": 9}},
        "required": ["origin", "destination", "date", "passengers"], "additionalProperties": False}}}
SEARCH = {"type": "function", "function": {
    "name": "search_products", "description": "Search the shop's catalogue.",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 60},
        "max_results": {"type": "integer", "minimum": 1, "maximum": 20},
        "filters": {"type": "object", "properties": {
            "min_price": {"type": ["number", "null"], "minimum": 0, "maximum": 10000},
            "in_stock": {"type": "boolean"},
            "colors": {"type": "array", "items": {"type": "string", "enum": ["red", "green", "blue"]}, "maxItems": 3}},
            "additionalProperties": False}},
        "required": ["query"], "additionalProperties": False}}}
TOOLS = [WEATHER, FLIGHT, SEARCH]
BY_NAME = {tool["function"]["name"]: tool for tool in TOOLS}
MESSAGES = [{"role": "user", "content": "What is the weather like in Paris today?"}]


def assert_valid_calls(message, tools=TOOLS, only=None) -> list[dict]:
    """OpenAI's shape of a forced answer; returns the decoded arguments."""
    by_name = {tool["function"]["name"]: tool for tool in tools}
    assert message.content is None, message.content
    assert message.tool_calls, "no tool call"
    decoded = []
    for call in message.tool_calls:
        assert call.type == "function"
        assert call.id.startswith("call_"), call.id
        assert call.function.name in by_name, call.function.name
        if only is not None:
            assert call.function.name == only
        assert isinstance(call.function.arguments, str)
        arguments = json.loads(call.function.arguments)
        errors = validation_errors(by_name[call.function.name]["function"].get("parameters", {"type": "object"}),
                                   arguments)
        assert not errors, f"{call.function.name}({call.function.arguments}): {errors}"
        decoded.append(arguments)
    assert len({call.id for call in message.tool_calls}) == len(message.tool_calls), "tool call ids must be unique"
    return decoded


def ask(client, model_id, **kwargs):
    kwargs.setdefault("messages", MESSAGES)
    kwargs.setdefault("tools", TOOLS)
    kwargs.setdefault("temperature", 0)
    kwargs.setdefault("max_tokens", 300)
    return client.chat.completions.create(model=model_id, **kwargs)


def test_required_always_gives_valid_calls(client, model_id):
    for prompt in ["What is the weather like in Paris today?", "Book me a flight from Berlin to Rome next Friday.",
                   "Find red shoes under 50 dollars.", "Tell me a joke."]:
        response = ask(client, model_id, messages=[{"role": "user", "content": prompt}], tool_choice="required")
        choice = response.choices[0]
        assert choice.finish_reason == "tool_calls", prompt
        assert_valid_calls(choice.message)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_named_function_always_gives_a_call_to_it(client, model_id, name):
    response = ask(client, model_id, tool_choice={"type": "function", "function": {"name": name}})
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert_valid_calls(choice.message, only=name)


def test_parallel_tool_calls_false_gives_exactly_one_call(client, model_id):
    for seed in (1, 2, 3):
        response = ask(client, model_id, tool_choice="required", parallel_tool_calls=False, temperature=1.0, seed=seed,
                       messages=[{"role": "user", "content": "Weather in Paris, Rome and Oslo, and find umbrellas."}])
        assert response.choices[0].finish_reason == "tool_calls"
        assert_valid_calls(response.choices[0].message)
        assert len(response.choices[0].message.tool_calls) == 1


def test_none_gives_plain_text(client, model_id):
    response = ask(client, model_id, tool_choice="none", max_tokens=24)
    choice = response.choices[0]
    assert not choice.message.tool_calls
    assert isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")


def test_auto_gives_text_or_valid_calls(client, model_id):
    for prompt in ["What is the weather like in Paris today?", "Hello, how are you?"]:
        response = ask(client, model_id, messages=[{"role": "user", "content": prompt}], tool_choice="auto")
        choice = response.choices[0]
        if choice.message.tool_calls:
            assert choice.finish_reason == "tool_calls"
            assert_valid_calls(choice.message)
        else:
            assert isinstance(choice.message.content, str)
            assert choice.finish_reason in ("stop", "length")


def test_tools_without_tool_choice_are_auto(client, model_id):
    choice = ask(client, model_id).choices[0]
    if choice.message.tool_calls:
        assert choice.finish_reason == "tool_calls"
        assert_valid_calls(choice.message)
    else:
        assert choice.finish_reason in ("stop", "length")


def test_every_choice_of_n_has_valid_calls(client, model_id):
    response = ask(client, model_id, tool_choice="required", n=3, temperature=1.0, seed=9)
    assert [choice.index for choice in response.choices] == [0, 1, 2]
    for choice in response.choices:
        assert choice.finish_reason == "tool_calls"
        assert_valid_calls(choice.message)


def test_function_without_parameters_gets_an_object(client, model_id):
    tool = {"type": "function", "function": {"name": "get_time", "description": "The current time."}}
    response = ask(client, model_id, tools=[tool], tool_choice={"type": "function", "function": {"name": "get_time"}},
                   messages=[{"role": "user", "content": "What time is it?"}])
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "get_time"
    assert isinstance(json.loads(call.function.arguments), dict)


def test_seed_reproduces_a_sampled_call(client, model_id):
    def sample():
        return ask(client, model_id, tool_choice="required", temperature=0.9, seed=77).choices[0].message.tool_calls
    first, second = sample(), sample()
    assert [(c.function.name, c.function.arguments) for c in first] == [(c.function.name, c.function.arguments)
                                                                        for c in second]


def reassemble(chunks) -> tuple[list[dict], str | None]:
    """OpenAI's streaming protocol for tool calls, checked strictly while accumulating: the first delta
    of each call carries index, id, type, function.name and function.arguments == ""; later deltas
    carry only argument fragments."""
    calls: dict[int, dict] = {}
    finish = None
    for chunk in chunks:
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        assert not choice.delta.content, "a forced tool call streams no content"
        for delta in choice.delta.tool_calls or []:
            if delta.index not in calls:
                assert delta.index == len(calls), "calls are indexed 0, 1, ... in order"
                assert delta.id and delta.id.startswith("call_")
                assert delta.type == "function"
                assert delta.function.name
                assert delta.function.arguments == ""
                calls[delta.index] = {"id": delta.id, "name": delta.function.name, "arguments": ""}
            else:
                assert delta.id is None or delta.id == calls[delta.index]["id"]
                assert not (delta.function and delta.function.name), "the name is sent once"
                calls[delta.index]["arguments"] += delta.function.arguments or ""
        if choice.finish_reason:
            assert finish is None
            finish = choice.finish_reason
    return [calls[i] for i in sorted(calls)], finish


@pytest.mark.parametrize("tool_choice", ["required", {"type": "function", "function": {"name": "book_flight"}}],
                         ids=["required", "named"])
def test_streamed_calls_reassemble_to_the_non_streamed_ones(client, model_id, tool_choice):
    kwargs = dict(tool_choice=tool_choice, temperature=0.8, seed=123,
                  messages=[{"role": "user", "content": "Book a flight from Paris to Oslo for two people on 3 May."}])
    whole = ask(client, model_id, **kwargs)
    chunks = list(ask(client, model_id, stream=True, stream_options={"include_usage": True}, **kwargs))
    calls, finish = reassemble(chunks)
    assert finish == "tool_calls"
    expected = [{"name": c.function.name, "arguments": c.function.arguments} for c in whole.choices[0].message.tool_calls]
    assert [{"name": c["name"], "arguments": c["arguments"]} for c in calls] == expected
    for call in calls:
        errors = validation_errors(BY_NAME[call["name"]]["function"]["parameters"], json.loads(call["arguments"]))
        assert not errors, errors
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


class GetWeather(pydantic.BaseModel):
    """Get the current weather in a city."""
    city: str = pydantic.Field(max_length=40)
    unit: Literal["celsius", "fahrenheit"]


def test_sdk_stream_helper_accumulates_tool_calls(client, model_id):
    """The SDK's own accumulator (`client.chat.completions.stream`, strict tools only) over our deltas."""
    tool = openai.pydantic_function_tool(GetWeather)
    events = []
    with client.chat.completions.stream(model=model_id, messages=MESSAGES, tools=[tool], max_tokens=200,
                                        temperature=0.7, seed=5,
                                        tool_choice={"type": "function", "function": {"name": "GetWeather"}}) as stream:
        for event in stream:
            events.append(event.type)
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.done" in events
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert len(message.tool_calls) >= 1
    assert isinstance(message.tool_calls[0].function.parsed_arguments, GetWeather)


def test_sdk_parse_with_a_pydantic_tool(client, model_id):
    completion = client.chat.completions.parse(
        model=model_id, messages=MESSAGES, tools=[openai.pydantic_function_tool(GetWeather)], tool_choice="required",
        max_tokens=200, temperature=0)
    call = completion.choices[0].message.tool_calls[0]
    assert isinstance(call.function.parsed_arguments, GetWeather)


HISTORY = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the weather like in Paris today?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_abc123", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
    {"role": "tool", "tool_call_id": "call_abc123", "content": "{\"temperature\": 18, \"condition\": \"sunny\"}"},
]


@pytest.mark.parametrize("tool_choice", [None, "auto", "none"])
def test_history_with_a_call_and_its_result_is_answered(client, model_id, tool_choice):
    extra = {} if tool_choice is None else {"tool_choice": tool_choice}
    response = ask(client, model_id, messages=HISTORY, max_tokens=40, **extra)
    choice = response.choices[0]
    if choice.message.tool_calls:
        assert choice.finish_reason == "tool_calls"
        assert_valid_calls(choice.message)
    else:
        assert isinstance(choice.message.content, str)
        assert choice.finish_reason in ("stop", "length")


def test_history_without_tools_in_the_request_is_accepted(client, model_id):
    """A client that stops offering tools still sends the earlier calls and results."""
    response = client.chat.completions.create(model=model_id, messages=HISTORY, max_tokens=16, temperature=0)
    assert isinstance(response.choices[0].message.content, str)


def test_history_then_another_forced_call(client, model_id):
    messages = HISTORY + [{"role": "assistant", "content": "It is 18 degrees and sunny in Paris."},
                          {"role": "user", "content": "And in Rome?"}]
    response = ask(client, model_id, messages=messages, tool_choice="required")
    assert response.choices[0].finish_reason == "tool_calls"
    assert_valid_calls(response.choices[0].message)


def test_assistant_message_with_content_and_several_calls_is_accepted(client, model_id):
    messages = [MESSAGES[0], {"role": "assistant", "content": "Let me check two cities.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain"}]
    response = ask(client, model_id, messages=messages, tool_choice="none", max_tokens=16)
    assert isinstance(response.choices[0].message.content, str)


# ---------------------------------------------------------------- errors

def param_is(actual: str | None, expected: str) -> bool:
    """The param named, or a path inside it (`tools[0].function.parameters.type`)."""
    return actual is not None and (actual == expected or actual.startswith((expected + ".", expected + "[")))


def _bad(client, model_id, **kwargs):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=MESSAGES, max_tokens=8, **kwargs)
    assert caught.value.status_code == 400
    return caught.value


@pytest.mark.parametrize("tools, tool_choice, param", [
    ([{"type": "function", "function": {"description": "no name",
                                        "parameters": {"type": "object", "properties": {}}}}], None,
     "tools[0].function.name"),
    ([{"type": "function", "function": {"name": "f", "parameters": "an object please"}}], None,
     "tools[0].function.parameters"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "strnig"}}}], None,
     "tools[0].function.parameters"),
    ([WEATHER], {"type": "function", "function": {"name": "not_a_tool"}}, "tool_choice"),
    (None, "required", "tool_choice"),
    (None, {"type": "function", "function": {"name": "get_weather"}}, "tool_choice"),
    ([], "required", "tool_choice"),
], ids=["no-name", "parameters-not-object", "parameters-not-schema", "unknown-named", "required-without-tools",
        "named-without-tools", "required-with-empty-tools"])
def test_bad_tools_are_400s_naming_the_param(client, model_id, tools, tool_choice, param):
    kwargs = {}
    if tools is not None:
        kwargs["tools"] = tools
    if tool_choice is not None:
        kwargs["tool_choice"] = tool_choice
    error = _bad(client, model_id, **kwargs)
    assert param_is(error.param, param), (error.param, error.message)


def test_unsupported_keyword_in_parameters_is_a_400_naming_it(client, model_id):
    tool = {"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"a": {"not": {"type": "string"}}}}}}
    error = _bad(client, model_id, tools=[tool], tool_choice="required")
    assert (error.param or "").startswith("tools[0].function.parameters"), error.param
    assert error_names_keyword(error.param, error.message, "not"), error.message


def test_second_tool_is_named_in_the_param(client, model_id):
    error = _bad(client, model_id, tools=[WEATHER, {"type": "function", "function": {"name": "g", "parameters": 3}}])
    assert param_is(error.param, "tools[1].function.parameters"), error.param


def test_duplicate_tool_names_are_a_400(client, model_id):
    error = _bad(client, model_id, tools=[WEATHER, WEATHER], tool_choice="required")
    assert (error.param or "").startswith("tools"), error.param


def test_unknown_tool_type_is_a_400(client, model_id):
    error = _bad(client, model_id, tools=[{"type": "retrieval"}])
    assert (error.param or "").startswith("tools[0]"), error.param

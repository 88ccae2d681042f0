"""Client libraries people use for structured output and tools, unmodified, against a live
`sluice serve`: the `openai` SDK's parse helpers, LangChain's ChatOpenAI and instructor.

Each library builds its own request (Pydantic-generated schemas with `title`, `default`, `$defs`,
`anyOf` with null; strict tools; forced tool_choice) and parses the answer itself, so these tests
check that what Sluice accepts and returns is what they expect. Assertions stay on the shape: an
instance of the Pydantic model comes back (its values are the 135M model's business). Retries are
off, so a first answer that does not parse fails the test instead of being retried."""
from __future__ import annotations

import json
from typing import Annotated, Literal, Optional

import httpx
import instructor
import openai
import pydantic
import pytest
from langchain_core.messages import AIMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from openai_tap import TappingTransport, client, llm_server, model_id, tap  # noqa: F401  (fixtures)


class Address(BaseModel):
    street: str = Field(max_length=60)
    city: str = Field(max_length=40)
    country_code: str = Field(pattern=r"^[A-Z]{2}$")


class Person(BaseModel):
    """A person with an address."""
    name: str = Field(max_length=40)
    age: int = Field(ge=0, le=120)
    role: Literal["admin", "editor", "viewer"]
    email: Optional[str] = Field(default=None, max_length=60)
    address: Address
    tags: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=3)


class GetWeather(BaseModel):
    """Get the current weather in a city."""
    city: str = Field(max_length=40, description="The city name")
    unit: Literal["celsius", "fahrenheit"] = "celsius"


class Sentiment(BaseModel):
    """The sentiment of a text."""
    label: Literal["positive", "negative", "neutral"]
    confidence: float = Field(ge=0, le=1)


PERSON_PROMPT = [{"role": "user", "content": "Make up a person who lives in Lyon, France."}]
WEATHER_PROMPT = [{"role": "user", "content": "What's the weather in Madrid?"}]
SENTIMENT_PROMPT = [{"role": "user", "content": "Classify the sentiment of: 'I love this phone, the battery is great.'"}]


# ---------------------------------------------------------------- openai SDK

def test_openai_parse_returns_the_pydantic_instance(client, model_id):
    completion = client.chat.completions.parse(model=model_id, messages=PERSON_PROMPT, response_format=Person,
                                               max_tokens=300, temperature=0)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    assert message.refusal is None
    assert isinstance(message.parsed, Person)
    assert Person.model_validate_json(message.content) == message.parsed


def test_openai_parse_with_n_parses_every_choice(client, model_id):
    completion = client.chat.completions.parse(model=model_id, messages=SENTIMENT_PROMPT, response_format=Sentiment,
                                               max_tokens=100, temperature=1.0, seed=3, n=3)
    assert len(completion.choices) == 3
    assert all(isinstance(choice.message.parsed, Sentiment) for choice in completion.choices)


def test_openai_stream_helper_parses_the_streamed_document(client, model_id):
    with client.chat.completions.stream(model=model_id, messages=PERSON_PROMPT, response_format=Person,
                                        max_tokens=300, temperature=0.7, seed=8) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "content.done" in kinds
    assert isinstance(final.choices[0].message.parsed, Person)


def test_openai_parse_with_a_strict_tool(client, model_id):
    completion = client.chat.completions.parse(model=model_id, messages=WEATHER_PROMPT,
                                               tools=[openai.pydantic_function_tool(GetWeather)],
                                               tool_choice={"type": "function", "function": {"name": "GetWeather"}},
                                               max_tokens=200, temperature=0)
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "GetWeather"
    assert isinstance(call.function.parsed_arguments, GetWeather)


# ---------------------------------------------------------------- LangChain

@pytest.fixture
def chat_model(llm_server, model_id, tap):
    return ChatOpenAI(base_url=llm_server.base_url + "/v1", api_key="sk-test", model=model_id, temperature=0,
                      max_tokens=300, max_retries=0, timeout=120,
                      http_client=httpx.Client(transport=TappingTransport(tap)))


def test_langchain_structured_output_json_schema(chat_model):
    result = chat_model.with_structured_output(Person, method="json_schema").invoke(PERSON_PROMPT[0]["content"])
    assert isinstance(result, Person)


def test_langchain_structured_output_json_schema_include_raw(chat_model):
    result = chat_model.with_structured_output(Sentiment, method="json_schema", include_raw=True).invoke(
        SENTIMENT_PROMPT[0]["content"])
    assert result["parsing_error"] is None
    assert isinstance(result["parsed"], Sentiment)
    assert isinstance(result["raw"], AIMessage)


def test_langchain_structured_output_function_calling(chat_model):
    result = chat_model.with_structured_output(Person, method="function_calling").invoke(PERSON_PROMPT[0]["content"])
    assert isinstance(result, Person)


def test_langchain_structured_output_json_mode(chat_model):
    """json_mode sends json_object (no schema), so only the JSON shape is guaranteed: a dict comes back."""
    result = chat_model.with_structured_output(None, method="json_mode").invoke(
        "Return a JSON object with a key 'city' for the capital of France.")
    assert isinstance(result, dict)


def test_langchain_bind_tools_forced(chat_model):
    message = chat_model.bind_tools([GetWeather], tool_choice="GetWeather").invoke(WEATHER_PROMPT[0]["content"])
    assert isinstance(message, AIMessage)
    assert len(message.tool_calls) >= 1
    call = message.tool_calls[0]
    assert call["name"] == "GetWeather"
    assert call["id"].startswith("call_")
    GetWeather.model_validate(call["args"])
    assert not message.invalid_tool_calls


def test_langchain_bind_tools_required_with_a_dict_tool(chat_model):
    tool = {"type": "function", "function": {"name": "lookup_order", "description": "Look up an order by id.",
                                             "parameters": {"type": "object", "properties": {
                                                 "order_id": {"type": "string", "pattern": "^[0-9]{6}$"}},
                                                 "required": ["order_id"], "additionalProperties": False}}}
    message = chat_model.bind_tools([tool, GetWeather], tool_choice="required").invoke("Where is my order 123456?")
    assert message.tool_calls and not message.invalid_tool_calls
    for call in message.tool_calls:
        assert call["name"] in ("lookup_order", "GetWeather")


def test_langchain_streamed_tool_call_chunks_add_up(chat_model):
    bound = chat_model.bind_tools([GetWeather], tool_choice="GetWeather")
    total = None
    for chunk in bound.stream(WEATHER_PROMPT[0]["content"]):
        total = chunk if total is None else total + chunk
    assert total.tool_calls and total.tool_calls[0]["name"] == "GetWeather"
    GetWeather.model_validate(total.tool_calls[0]["args"])


def test_langchain_tool_round_trip(chat_model):
    """A forced call, the tool's result appended as a ToolMessage, then a plain answer."""
    from langchain_core.messages import HumanMessage, ToolMessage
    bound = chat_model.bind_tools([GetWeather])
    first = chat_model.bind_tools([GetWeather], tool_choice="GetWeather").invoke(WEATHER_PROMPT[0]["content"])
    call = first.tool_calls[0]
    history = [HumanMessage(WEATHER_PROMPT[0]["content"]), first,
               ToolMessage(content=json.dumps({"temperature": 21, "sky": "clear"}), tool_call_id=call["id"])]
    answer = bound.invoke(history, tool_choice="none", max_tokens=30)
    assert isinstance(answer.content, str)


# ---------------------------------------------------------------- instructor

@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA], ids=["tools", "json_schema"])
def test_instructor_returns_the_pydantic_instance(client, model_id, mode):
    patched = instructor.from_openai(client, mode=mode)
    person = patched.chat.completions.create(model=model_id, response_model=Person, messages=PERSON_PROMPT,
                                             max_tokens=300, temperature=0, max_retries=0)
    assert isinstance(person, Person)


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA], ids=["tools", "json_schema"])
def test_instructor_list_of_models(client, model_id, mode):
    patched = instructor.from_openai(client, mode=mode)

    class Sentiments(BaseModel):
        items: list[Sentiment] = Field(max_length=3)

    result = patched.chat.completions.create(
        model=model_id, response_model=Sentiments, max_tokens=300, temperature=0, max_retries=0,
        messages=[{"role": "user", "content": "Classify: 'great food', 'slow service', 'ok price'."}])
    assert isinstance(result, Sentiments)
    assert all(isinstance(item, Sentiment) for item in result.items)


def test_instructor_create_with_completion_exposes_the_raw_tool_call(client, model_id):
    patched = instructor.from_openai(client, mode=instructor.Mode.TOOLS)
    weather, completion = patched.chat.completions.create_with_completion(
        model=model_id, response_model=GetWeather, messages=WEATHER_PROMPT, max_tokens=200, temperature=0,
        max_retries=0)
    assert isinstance(weather, GetWeather)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.choices[0].message.tool_calls[0].function.name == "GetWeather"


def test_pydantic_schemas_the_clients_send_are_accepted_as_is(client, model_id):
    """Pydantic's own JSON Schema (title, default, anyOf with null, $defs/$ref), sent untouched."""
    schema = Person.model_json_schema()
    assert "$defs" in schema
    response = client.chat.completions.create(
        model=model_id, messages=PERSON_PROMPT, max_tokens=300, temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "Person", "schema": schema}})
    assert response.choices[0].finish_reason == "stop"
    Person.model_validate_json(response.choices[0].message.content)


def test_pydantic_validation_error_is_what_a_bad_document_would_raise():
    """Guards the assertions above: the models are strict enough that a wrong shape fails."""
    with pytest.raises(pydantic.ValidationError):
        Person.model_validate({"name": "x", "age": 500, "role": "admin", "address": {}})

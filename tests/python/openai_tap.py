"""Validates every response the OpenAI-suite receives against OpenAI's own schemas, without
changing how the SDK sees it: an httpx transport taps the bytes as the SDK reads them.

- non-2xx bodies                         -> ErrorResponse
- `data:` events of a stream             -> CreateChatCompletionStreamResponse / CreateCompletionResponse,
                                            or ErrorResponse for an `{"error": ...}` event
- JSON bodies of /v1/chat/completions    -> CreateChatCompletionResponse
- JSON bodies of /v1/completions         -> CreateCompletionResponse

Known schema quirk, handled explicitly: OpenAI's own completions stream sends `finish_reason: null`
on every chunk but the last, yet CreateCompletionResponse types `finish_reason` as a non-nullable
enum (the schema says streamed and non-streamed objects "share the same shape"). A streamed
completion chunk is therefore validated with each `finish_reason: null` checked to be exactly
null and then replaced by "length" (a member of the enum), so every other field is still checked
against the schema.
"""
from __future__ import annotations

import copy
import json
import threading

import httpx
import jsonschema
import openai

from openai_schema import validate_openai


class SchemaTap:
    """Collects validation failures and counts what was checked (tests assert both)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.checked: dict[str, int] = {}

    def check(self, schema: str, instance) -> None:
        try:
            validate_openai(schema, instance)
        except jsonschema.ValidationError as error:
            with self.lock:
                self.errors.append(f"{schema}: {error.message} in {json.dumps(instance)[:400]}")
        with self.lock:
            self.checked[schema] = self.checked.get(schema, 0) + 1

    def check_stream_event(self, path: str, payload: str) -> None:
        if payload.startswith("[DONE]"):
            return
        try:
            event = json.loads(payload)
        except ValueError:
            with self.lock:
                self.errors.append(f"stream event is not JSON: {payload[:200]}")
            return
        if "error" in event:
            self.check("ErrorResponse", event)
        elif path.endswith("/chat/completions"):
            self.check("CreateChatCompletionStreamResponse", event)
        elif path.endswith("/completions"):
            self.check("CreateCompletionResponse", completion_chunk_for_schema(event))

    def check_body(self, path: str, status: int, body: bytes) -> None:
        try:
            document = json.loads(body)
        except ValueError:
            with self.lock:
                self.errors.append(f"{path} {status}: body is not JSON: {body[:200]!r}")
            return
        if status >= 400:
            self.check("ErrorResponse", document)
        elif path.endswith("/chat/completions"):
            self.check("CreateChatCompletionResponse", document)
        elif path.endswith("/completions"):
            self.check("CreateCompletionResponse", document)

    def assert_clean(self) -> None:
        assert not self.errors, "schema violations:\n" + "\n".join(self.errors)


def completion_chunk_for_schema(event: dict) -> dict:
    """See the module note: null finish_reason on streamed completion chunks is OpenAI's own behaviour."""
    event = copy.deepcopy(event)
    for choice in event.get("choices", []):
        if "finish_reason" in choice and choice["finish_reason"] is None:
            choice["finish_reason"] = "length"
    return event


class _TappedStream(httpx.SyncByteStream):
    def __init__(self, inner, tap: SchemaTap, path: str, status: int, sse: bool) -> None:
        self.inner, self.tap, self.path, self.status, self.sse = inner, tap, path, status, sse
        self.buffer = b""
        self.done = False

    def __iter__(self):
        for chunk in self.inner:
            self.buffer += chunk
            if self.sse:
                self._drain_events()
            yield chunk
        self._finish()

    def _drain_events(self) -> None:
        while b"\n\n" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\n\n", 1)
            data = [line[5:].lstrip(b" ") for line in raw.split(b"\n") if line.startswith(b"data:")]
            if data:
                self.tap.check_stream_event(self.path, b"\n".join(data).decode("utf-8"))

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if not self.sse and self.buffer:
            self.tap.check_body(self.path, self.status, self.buffer)

    def close(self) -> None:
        self.inner.close()


class TappingTransport(httpx.HTTPTransport):
    def __init__(self, tap: SchemaTap) -> None:
        super().__init__()
        self.tap = tap

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        sse = response.headers.get("content-type", "").startswith("text/event-stream")
        response.stream = _TappedStream(response.stream, self.tap, request.url.path, response.status_code, sse)
        return response


def make_client(base_url: str, tap: SchemaTap, **kwargs) -> openai.OpenAI:
    """The official SDK, with every response it reads validated by `tap`."""
    return openai.OpenAI(base_url=base_url + "/v1", api_key="sk-test", max_retries=kwargs.pop("max_retries", 0),
                         timeout=kwargs.pop("timeout", 120.0),
                         http_client=httpx.Client(transport=TappingTransport(tap)), **kwargs)


def metric_value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            if line.split(" ")[0] == name or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    raise KeyError(name)


# Fixtures shared by test_openai_*.py and test_serving_*.py (imported by name into each module).
import pytest  # noqa: E402

from conftest import start_sluice  # noqa: E402

LLM_ARGS = ["--max-sequences", "32", "--max-batched-tokens", "256", "--kv-blocks", "1024",
            "--max-waiting-requests", "128", "--access-log", "false"]


@pytest.fixture(scope="session")
def llm_server(sluice_bin, model_path):
    """One server for the suite's read-mostly tests (continuous batching on, default limits)."""
    server = start_sluice(sluice_bin, ["--model", model_path, *LLM_ARGS])
    yield server
    server.stop()


@pytest.fixture
def tap():
    checker = SchemaTap()
    yield checker
    checker.assert_clean()


@pytest.fixture
def client(llm_server, tap):
    return make_client(llm_server.base_url, tap)


@pytest.fixture(scope="session")
def model_id(llm_server) -> str:
    return httpx.get(llm_server.base_url + "/v1/models").json()["data"][0]["id"]

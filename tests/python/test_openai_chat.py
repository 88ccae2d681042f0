"""/v1/chat/completions through the official `openai` SDK against a live `sluice serve`.
Every body and chunk is validated against OpenAI's schemas by the `tap` fixture."""
from __future__ import annotations

import httpx
import openai
import pytest

from openai_tap import client, llm_server, model_id, tap  # noqa: F401  (fixtures)

MESSAGES = [{"role": "user", "content": "Name three colours."}]


def greedy(client, model_id, **kwargs):
    return client.chat.completions.create(model=model_id, messages=kwargs.pop("messages", MESSAGES),
                                          temperature=0, **kwargs)


def test_non_streaming_response_has_openai_shape(client, model_id, tap):
    response = greedy(client, model_id, max_tokens=12)
    assert response.object == "chat.completion"
    assert response.id.startswith("chatcmpl-")
    assert response.model == model_id
    assert len(response.choices) == 1
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert choice.logprobs is None
    assert response.usage.completion_tokens <= 12
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    assert response.usage.prompt_tokens_details.cached_tokens >= 0
    assert tap.checked["CreateChatCompletionResponse"] == 1


def test_stream_sends_role_then_content_then_finish_and_no_usage_chunk(client, model_id, tap):
    chunks = list(greedy(client, model_id, max_tokens=12, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert all(chunk.choices for chunk in chunks), "a usage chunk came without include_usage"
    assert len({chunk.id for chunk in chunks}) == 1 and len({chunk.created for chunk in chunks}) == 1
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])
    # No empty content deltas besides the role chunk (vLLM #13087).
    assert all(chunk.choices[0].delta.content for chunk in chunks[1:-1])
    assert tap.checked["CreateChatCompletionStreamResponse"] == len(chunks)


def test_streamed_text_equals_non_streamed_text_and_usage_chunk_is_last(client, model_id):
    whole = greedy(client, model_id, max_tokens=16)
    chunks = list(greedy(client, model_id, max_tokens=16, stream=True, stream_options={"include_usage": True}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_stream_ends_with_done_line(llm_server, model_id):
    body = {"model": model_id, "messages": MESSAGES, "max_tokens": 4, "stream": True}
    with httpx.stream("POST", llm_server.base_url + "/v1/chat/completions", json=body, timeout=60) as response:
        raw = b"".join(response.iter_bytes())
    assert response.headers["content-type"].startswith("text/event-stream")
    assert raw.endswith(b"data: [DONE]\n\n")


def test_repeated_prompt_reports_cached_tokens(client, model_id):
    messages = [{"role": "system", "content": "You are a helpful assistant who answers briefly. " * 6},
                {"role": "user", "content": "Say hi."}]
    greedy(client, model_id, messages=messages, max_tokens=2)
    second = greedy(client, model_id, messages=messages, max_tokens=2)
    assert second.usage.prompt_tokens_details.cached_tokens >= 16


def test_n_two_returns_two_choices_streamed_and_not(client, model_id):
    response = client.chat.completions.create(model=model_id, messages=MESSAGES, n=2, max_tokens=8, temperature=1, seed=5)
    assert [choice.index for choice in response.choices] == [0, 1]
    chunks = list(client.chat.completions.create(model=model_id, messages=MESSAGES, n=2, max_tokens=8,
                                                 temperature=1, seed=5, stream=True))
    finished = {c.index for chunk in chunks for c in chunk.choices if c.finish_reason}
    assert finished == {0, 1}
    streamed = ["".join(c.delta.content or "" for chunk in chunks for c in chunk.choices if c.index == i) for i in (0, 1)]
    assert streamed == [choice.message.content for choice in response.choices]


def test_stop_string_cuts_the_text_and_is_not_streamed(client, model_id):
    full = greedy(client, model_id, max_tokens=24).choices[0].message.content
    assert len(full) > 6
    stop = full[3:6]  # spans tokens more often than not; never leaks either way
    expected = full[:full.index(stop)]
    response = greedy(client, model_id, max_tokens=24, stop=[stop])
    assert response.choices[0].message.content == expected
    assert response.choices[0].finish_reason == "stop"
    chunks = list(greedy(client, model_id, max_tokens=24, stop=stop, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == expected
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_seed_reproduces_a_sampled_answer(client, model_id):
    def sample(seed):
        return client.chat.completions.create(model=model_id, messages=MESSAGES, temperature=1.0, seed=seed,
                                              max_tokens=16).choices[0].message.content
    assert sample(1234) == sample(1234)


def test_logprobs_cover_every_token_with_alternatives(client, model_id):
    response = greedy(client, model_id, max_tokens=8, logprobs=True, top_logprobs=3)
    content = response.choices[0].logprobs.content
    assert len(content) == response.usage.completion_tokens - (1 if response.choices[0].finish_reason == "stop" else 0)
    assert "".join(token.token for token in content) == response.choices[0].message.content
    for token in content:
        assert token.logprob <= 0
        assert len(token.top_logprobs) == 3
        # Greedy: the chosen token is the most likely one.
        assert token.logprob >= max(alt.logprob for alt in token.top_logprobs) - 1e-4


def test_max_completion_tokens_caps_generation(client, model_id):
    response = client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "Count to fifty."}],
                                              temperature=0, max_completion_tokens=5)
    assert response.usage.completion_tokens <= 5
    if response.usage.completion_tokens == 5:
        assert response.choices[0].finish_reason == "length"


def test_text_content_parts_are_accepted(client, model_id):
    messages = [{"role": "user", "content": [{"type": "text", "text": "Name three"}, {"type": "text", "text": "colours."}]}]
    assert greedy(client, model_id, messages=messages, max_tokens=2).choices[0].message.content is not None


def test_image_content_part_is_a_clear_400(client, model_id):
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]
    with pytest.raises(openai.BadRequestError) as caught:
        greedy(client, model_id, messages=messages, max_tokens=2)
    assert caught.value.body["param"] == "messages[0].content[0].type"

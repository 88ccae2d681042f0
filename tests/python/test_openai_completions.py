"""/v1/completions (legacy) through the official SDK; every body and chunk schema-validated."""
from __future__ import annotations

from openai_tap import client, llm_server, model_id, tap  # noqa: F401  (fixtures)

PROMPT = "The capital of France is"


def test_non_streaming_completion_shape(client, model_id, tap):
    response = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=6, temperature=0)
    assert response.object == "text_completion"
    assert response.id.startswith("cmpl-")
    assert response.choices[0].text
    assert response.choices[0].finish_reason in ("stop", "length")
    assert response.usage.completion_tokens <= 6
    assert tap.checked["CreateCompletionResponse"] == 1


def test_max_tokens_defaults_to_16(client, model_id):
    response = client.completions.create(model=model_id, prompt="Once upon a time", temperature=0)
    assert response.usage.completion_tokens <= 16


def test_stream_matches_non_stream_and_ends_with_usage(client, model_id, tap):
    whole = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=8, temperature=0)
    chunks = list(client.completions.create(model=model_id, prompt=PROMPT, max_tokens=8, temperature=0, stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == whole.choices[0].finish_reason and all(f is None for f in finishes[:-1])
    assert tap.checked["CreateCompletionResponse"] == len(chunks) + 1


def test_echo_prepends_the_prompt(client, model_id):
    response = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=3, temperature=0, echo=True)
    assert response.choices[0].text.startswith(PROMPT)
    only_echo = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=0, echo=True)
    assert only_echo.choices[0].text == PROMPT and only_echo.usage.completion_tokens == 0


def test_integer_logprobs_give_tokens_offsets_and_alternatives(client, model_id):
    response = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=5, temperature=0, logprobs=2)
    logprobs = response.choices[0].logprobs
    assert "".join(logprobs.tokens) == response.choices[0].text
    assert len(logprobs.token_logprobs) == len(logprobs.tokens) == len(logprobs.text_offset)
    assert all(len(alternatives) <= 2 and alternatives for alternatives in logprobs.top_logprobs)
    assert logprobs.text_offset == sorted(logprobs.text_offset)


def test_several_prompts_and_n_number_choices(client, model_id):
    response = client.completions.create(model=model_id, prompt=[PROMPT, "Two plus two is"], n=2, max_tokens=3,
                                         temperature=1, seed=3)
    assert [choice.index for choice in response.choices] == [0, 1, 2, 3]


def test_token_id_prompt_matches_text_prompt(client, model_id, llm_server):
    import httpx
    ids = httpx.post(llm_server.base_url + "/tokenize", json={"prompt": PROMPT}).json()["tokens"]
    by_text = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=4, temperature=0)
    by_ids = client.completions.create(model=model_id, prompt=ids, max_tokens=4, temperature=0)
    assert by_ids.choices[0].text == by_text.choices[0].text
    assert by_ids.usage.prompt_tokens == by_text.usage.prompt_tokens == len(ids)


def test_stop_sequence_on_completions(client, model_id):
    full = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=12, temperature=0).choices[0].text
    stop = full.strip()[:2]
    response = client.completions.create(model=model_id, prompt=PROMPT, max_tokens=12, temperature=0, stop=stop)
    assert stop not in response.choices[0].text
    assert response.choices[0].finish_reason == "stop"

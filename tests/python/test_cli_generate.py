"""`sluice generate` runs the same backend as `sluice serve` (engine service, scheduler,
sampler, detokenizer): greedy, it prints exactly the text the server answers for the same
conversation or prompt, and it reports its speeds on stderr."""
from __future__ import annotations

import re
import subprocess

import pytest
import requests

from conftest import start_sluice

MAX_TOKENS = 24


@pytest.fixture(scope="module")
def server(sluice_bin, model_path):
    """Prefix caching off: a prompt's KV is then computed afresh, as in `generate`, so greedy
    outputs are comparable bit for bit."""
    srv = start_sluice(sluice_bin, ["--model", model_path, "--prefix-caching", "false", "--access-log", "false"])
    yield srv
    srv.stop()


def generate(sluice_bin: str, model_path: str, prompt: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sluice_bin, "generate", "--model", model_path, "--prompt", prompt,
                           "--max-tokens", str(MAX_TOKENS), *flags],
                          capture_output=True, text=True, timeout=120, check=True)


def test_generate_chat_prints_what_the_server_answers(sluice_bin, model_path, server):
    prompt = "Name three colours of the rainbow."
    cli = generate(sluice_bin, model_path, prompt, "--chat")
    model = requests.get(server.base_url + "/v1/models", timeout=5).json()["data"][0]["id"]
    answer = requests.post(server.base_url + "/v1/chat/completions", timeout=120, json={
        "model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": MAX_TOKENS,
        "temperature": 0}).json()
    assert cli.stdout.rstrip("\n") == answer["choices"][0]["message"]["content"]
    stats = re.search(r"prompt: (\d+) tokens, [\d.]+ tokens/s \| generated: (\d+) tokens", cli.stderr)
    assert stats, cli.stderr
    assert int(stats.group(1)) == answer["usage"]["prompt_tokens"]
    assert int(stats.group(2)) == answer["usage"]["completion_tokens"]


def test_generate_text_prints_what_the_completions_route_answers(sluice_bin, model_path, server):
    prompt = "The three primary colours are"
    cli = generate(sluice_bin, model_path, prompt)
    model = requests.get(server.base_url + "/v1/models", timeout=5).json()["data"][0]["id"]
    answer = requests.post(server.base_url + "/v1/completions", timeout=120, json={
        "model": model, "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0}).json()
    assert cli.stdout.rstrip("\n") == answer["choices"][0]["text"]


def test_generate_refuses_a_missing_model_file(sluice_bin, tmp_path):
    result = subprocess.run([sluice_bin, "generate", "--model", str(tmp_path / "none.gguf"), "--prompt", "x"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "none.gguf" in result.stderr

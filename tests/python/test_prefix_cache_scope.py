"""`--prefix-cache-scope`: with `tenant`, one API key's prompt prefix is never reused for another
key's request (no timing side channel between tenants); with the default `shared`, a prefix
another tenant sent is reused. Observed through `usage.prompt_tokens_details.cached_tokens`."""
from __future__ import annotations

import pytest
import requests

from access_support import Store, start_gateway

MODEL = "SmolLM2-135M-Instruct.Q4_1"
# Long enough for several full 16-token KV blocks.
PROMPT = "Summarise the following for a busy reader. " + "The river runs past the old mill every spring. " * 6


def cached_tokens(gateway, key: str, prompt: str) -> int:
    answer = requests.post(gateway.url + "/v1/completions", timeout=60, headers={"Authorization": f"Bearer {key}"},
                           json={"model": MODEL, "prompt": prompt, "max_tokens": 1, "temperature": 0})
    assert answer.status_code == 200, answer.text
    return answer.json()["usage"]["prompt_tokens_details"]["cached_tokens"]


@pytest.mark.parametrize("scope", ["tenant", "shared"])
def test_prefix_reuse_follows_the_scope(sluice_bin, model_path, tmp_path, scope):
    gateway = start_gateway(sluice_bin, model_path, Store("memory", ["--data-dir", str(tmp_path)]),
                            "--prefix-cache-scope", scope)
    try:
        first, second = gateway.create_key(name="a")["key"], gateway.create_key(name="b")["key"]
        prompt = PROMPT + scope
        assert cached_tokens(gateway, first, prompt) == 0
        assert cached_tokens(gateway, first, prompt) >= 32  # the same tenant always reuses its own blocks
        other = cached_tokens(gateway, second, prompt)
        if scope == "tenant":
            assert other == 0
        else:
            assert other >= 32
    finally:
        gateway.stop()

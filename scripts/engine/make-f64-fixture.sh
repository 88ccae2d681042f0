#!/bin/sh
# Regenerates the exact-arithmetic fixture for ForwardExactReferenceTests:
# step-0 top-10 log-probs of the reference prompts (token ids from llama.cpp's
# tokenizer via the engine's tokenizer tests) and of their concatenation
# (58 tokens, four KV blocks). Needs: pip install gguf numpy.
set -e
cd "$(dirname "$0")/../.."
cat > /tmp/sluice-f64-spec.json <<'JSON'
{"prompts": [
 [504, 3575, 282, 4649, 314],
 [6403, 1980, 253, 655, 28, 665, 436, 253, 1838],
 [1604, 3987, 46477, 24, 94, 727],
 [504, 1296, 3003, 4683, 359],
 [12615, 36411, 418, 253, 2779, 282],
 [788, 3746, 1380, 28, 253, 8844, 3082, 314],
 [33, 28, 216, 34, 28, 216, 35, 28, 216, 36, 28, 216, 37, 28],
 [504, 2388, 13685, 281, 260],
 [504, 3575, 282, 4649, 314, 6403, 1980, 253, 655, 28, 665, 436, 253, 1838, 1604, 3987, 46477, 24, 94, 727,
  504, 1296, 3003, 4683, 359, 12615, 36411, 418, 253, 2779, 282, 788, 3746, 1380, 28, 253, 8844, 3082, 314,
  33, 28, 216, 34, 28, 216, 35, 28, 216, 36, 28, 216, 37, 28, 504, 2388, 13685, 281, 260]
]}
JSON
python3 scripts/engine/reference_forward.py models/SmolLM2-135M-Instruct.Q4_1.gguf --json \
  /tmp/sluice-f64-spec.json Tests/SluiceEngineTests/Fixtures/engine-f64-reference.json

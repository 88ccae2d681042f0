#!/usr/bin/env python3
"""Independent float64 llama forward pass (numpy + gguf's dequantizers), the
exact-arithmetic yardstick for the engine's f32 path.

  reference_forward.py MODEL.gguf ID [ID...]         prints step-0 top-5 log-probs
  reference_forward.py MODEL.gguf --json IN OUT      IN: {"prompts": [[ids]...]};
                                                     OUT: same + "top": [[[id, logprob] x 10]...]
Writes Tests/SluiceEngineTests/Fixtures/engine-f64-reference.json via
scripts/engine/make-f64-fixture.sh."""
import json
import sys
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

r = GGUFReader(sys.argv[1])
f = {k: v for k, v in r.fields.items()}
def val(k):
    return f[k].contents()
E = val('llama.embedding_length'); L = val('llama.block_count'); H = val('llama.attention.head_count')
HKV = val('llama.attention.head_count_kv'); base = val('llama.rope.freq_base'); eps = val('llama.attention.layer_norm_rms_epsilon')
D = E // H
T = {t.name: t for t in r.tensors}
_cache = {}
def W(name):
    if name in _cache:
        return _cache[name]
    t = T[name]
    _cache[name] = dequantize(t.data, t.tensor_type).reshape([int(x) for x in reversed(t.shape)]).astype(np.float64)
    return _cache[name]
def rms(x, w):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
def rope(x, n_heads):
    n = x.shape[0]
    x = x.reshape(n, n_heads, D).copy()
    inv = base ** (-np.arange(0, D, 2) / D)
    ang = np.arange(n)[:, None] * inv[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2].copy(), x[..., 1::2].copy()
    x[..., 0::2] = a * c - b * s
    x[..., 1::2] = a * s + b * c
    return x.reshape(n, n_heads * D)
emb = W('token_embd.weight')
def forward(ids):
  x = emb[ids]
  n = len(ids)
  for l in range(L):
      p = f'blk.{l}.'
      h = rms(x, W(p + 'attn_norm.weight'))
      q = rope(h @ W(p + 'attn_q.weight').T, H); k = rope(h @ W(p + 'attn_k.weight').T, HKV); v = h @ W(p + 'attn_v.weight').T
      out = np.zeros((n, E))
      g = H // HKV
      for hh in range(H):
          kh = hh // g
          qs = q[:, hh*D:(hh+1)*D]; ks = k[:, kh*D:(kh+1)*D]; vs = v[:, kh*D:(kh+1)*D]
          s = qs @ ks.T / np.sqrt(D)
          s = s + np.triu(np.full((n, n), -np.inf), 1)
          s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
          out[:, hh*D:(hh+1)*D] = s @ vs
      x = x + out @ W(p + 'attn_output.weight').T
      h = rms(x, W(p + 'ffn_norm.weight'))
      gt = h @ W(p + 'ffn_gate.weight').T; up = h @ W(p + 'ffn_up.weight').T
      x = x + (gt / (1 + np.exp(-gt)) * up) @ W(p + 'ffn_down.weight').T
  h = rms(x[-1:], W('output_norm.weight'))
  out = W('output.weight') if 'output.weight' in T else emb
  logits = (h @ out.T)[0]
  lp = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
  return lp

if sys.argv[2] == '--json':
    spec = json.load(open(sys.argv[3]))
    spec['top'] = []
    for ids in spec['prompts']:
        lp = forward(ids)
        spec['top'].append([[int(i), float(lp[i])] for i in np.argsort(-lp)[:10]])
    json.dump(spec, open(sys.argv[4], 'w'), indent=1)
else:
    lp = forward([int(x) for x in sys.argv[2:]])
    print([(int(i), round(float(lp[i]), 4)) for i in np.argsort(-lp)[:5]])

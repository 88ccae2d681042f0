#!/usr/bin/env bash
# HTTP server benchmark: wrk (2 threads, 64 connections, 10 s) against /health
# and /v1/models of a release `sluice serve`, wrk sharing the machine's cores
# with the server as in llama.cpp's reference figure (29,000 requests/s on
# /health on the reference 2-core machine). Writes bench/results/http.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SLUICE_BIN:?set SLUICE_BIN to the sluice binary}"
model="${SLUICE_MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
duration="${DURATION:-10s}"
out="$root/bench/results/http.md"
log="$(mktemp)"

"$bin" serve --host 127.0.0.1 --port 0 --model "$model" --log-format text --access-log false >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 200); do
  url="$(grep -oE 'listening on http://[0-9.:]+' "$log" | head -n1 | sed 's/listening on //')" || true
  [[ -n "${url:-}" ]] && break
  sleep 0.1
done
[[ -n "${url:-}" ]] || { echo "server did not start:"; cat "$log"; exit 1; }

run() { # path -> "rps p50 p90 p99 errors"
  local res
  res="$(wrk -t2 -c64 -d"$duration" --latency "$url$1")"
  echo "$res" >&2
  python3 - "$res" <<'PY'
import re, sys
text = sys.argv[1]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = {p: ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M)}
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"{rps:.0f} {lat['50']:.2f} {lat['90']:.2f} {lat['99']:.2f} {errs.group(1) if errs else 0} {sock.group(1).replace(' ', '') if sock else 'none'}")
PY
}

health="$(run /health)"
models="$(run /v1/models)"
read -r h_rps h50 h90 h99 h_err h_sock <<<"$health"
read -r m_rps m50 m90 m99 m_err m_sock <<<"$models"
ratio="$(python3 -c "print(f'{$h_rps/29000:.2f}')")"
{
  echo "# HTTP server benchmark"
  echo
  echo "\`make bench-http\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "wrk -t2 -c64 -d$duration --latency, wrk sharing the cores with the server, release build, access log off."
  echo
  echo "| route | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  echo "| GET /health | $h_rps | $h50 | $h90 | $h99 | $h_err | $h_sock |"
  echo "| GET /v1/models | $m_rps | $m50 | $m90 | $m99 | $m_err | $m_sock |"
  echo
  echo "llama.cpp's server on the reference 2-core machine: 29,000 requests/s on /health."
  echo "Ratio on /health: **${ratio}x** (goal: at least 1.5x with p99 under 5 ms)."
} >"$out"
cat "$out"

#!/usr/bin/env bash
# HTTP server benchmark: wrk (2 threads, 64 connections, 10 s) against /health
# and /v1/models of a release `sluice serve`, wrk sharing the machine's cores
# with the server. Sluice's own figures only: a ratio to another server needs
# both measured side by side in one run. Writes bench/results/http.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SLUICE_BIN:?set SLUICE_BIN to the sluice binary}"
model="${SLUICE_MODEL:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
duration="${DURATION:-10s}"
out="$root/bench/results/http.md"
log="$(mktemp)"
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -f "$log"' EXIT

start_server() { # extra serve args...
  : >"$log"
  "$bin" serve --host 127.0.0.1 --port 0 --model "$model" --log-format text --access-log false "$@" >"$log" 2>&1 &
  pid=$!
  url=""
  for _ in $(seq 1 200); do
    url="$(grep -oE 'listening on http://[0-9.:]+' "$log" | head -n1 | sed 's/listening on //')" || true
    [[ -n "${url:-}" ]] && break
    sleep 0.1
  done
  [[ -n "${url:-}" ]] || { echo "server did not start:"; cat "$log"; exit 1; }
}

stop_server() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=""; }

run() { # path -> "rps p50 p90 p99 non2xx socketerrors"
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

row() { # label route result
  local r rps p50 p90 p99 err sock
  read -r rps p50 p90 p99 err sock <<<"$3"
  echo "| $1 | $2 | $rps | $p50 | $p90 | $p99 | $err | $sock |"
}

start_server
health="$(run /health)"
models="$(run /v1/models)"
stop_server
# One event loop instead of one per core: wrk's two threads share the two
# cores, so fewer server threads mean less scheduling delay at the tail.
start_server --event-loops 1
health1="$(run /health)"
models1="$(run /v1/models)"
stop_server

{
  echo "# HTTP server benchmark"
  echo
  echo "\`make bench-http\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "wrk -t2 -c64 -d$duration --latency, wrk sharing the cores with the server, release build, access log off."
  echo
  echo "| server | route | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |"
  echo "|---|---|---:|---:|---:|---:|---:|---|"
  row "default (one event loop per core)" "GET /health" "$health"
  row "default (one event loop per core)" "GET /v1/models" "$models"
  row "\`--event-loops 1\`" "GET /health" "$health1"
  row "\`--event-loops 1\`" "GET /v1/models" "$models1"
  echo
  echo "Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$out"
cat "$out"

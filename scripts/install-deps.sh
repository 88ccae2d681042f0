#!/usr/bin/env bash
# Installs what building, serving and testing Sluice needs on a fresh Debian
# machine: the C libraries (apt), redis-server and wrk for tests and benches,
# and a Python virtual environment (.venv) with the test clients.
# Idempotent and quiet when everything is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-all}"   # "serve" installs only what serving needs

apt_pkgs=(libhiredis-dev libssl-dev pkg-config redis-server)
if [[ "$mode" != "serve" ]]; then
  apt_pkgs+=(wrk curl python3-venv)
fi

# fetch-model.sh downloads the model with pip: Debian's python3 has no pip
# module until python3-pip is installed.
python3 -m pip --version >/dev/null 2>&1 || apt_pkgs+=(python3-pip)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  sudo_cmd=""
  [[ "$(id -u)" != "0" ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$mode" != "serve" ]]; then
  venv="$root/.venv"
  req="$root/tests/python/requirements.txt"
  stamp="$venv/.requirements.sha"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ ! -x "$venv/bin/python" ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "install-deps: python test environment in .venv"
    python3 -m venv "$venv" 2>/dev/null || { python3 -m pip install --quiet virtualenv && python3 -m virtualenv -q "$venv"; }
    "$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null
    "$venv/bin/python" -m pip install --quiet -r "$req"
    echo "$want" > "$stamp"
  fi
fi

"""The in-memory store's own promises: keys survive a restart with --data-dir, and an open
server (no admin key) stays on loopback and says so."""
from __future__ import annotations

import subprocess

import requests

from access_support import Store, start_gateway
from conftest import start_sluice


def test_keys_persist_across_restart_with_data_dir(sluice_bin, model_path, tmp_path):
    store = Store("memory", ["--data-dir", str(tmp_path / "data")])
    first = start_gateway(sluice_bin, model_path, store)
    try:
        created = first.create_key(rpm=5)
    finally:
        first.stop()
    second = start_gateway(sluice_bin, model_path, store)
    try:
        headers = {"Authorization": f"Bearer {created['key']}"}
        assert requests.get(second.url + "/v1/models", headers=headers, timeout=5).status_code == 200
        assert second.admin("GET", f"/v1/admin/keys/{created['id']}").json()["rpm"] == 5
    finally:
        second.stop()
    assert (tmp_path / "data" / "pepper").stat().st_mode & 0o077 == 0


def test_open_server_logs_it_and_serves_without_keys(sluice_bin, model_path):
    server = start_sluice(sluice_bin, ["--model", model_path])
    try:
        assert requests.get(server.base_url + "/v1/models", timeout=5).status_code == 200
        assert "running OPEN" in server.log()
    finally:
        server.stop()


def test_open_server_refuses_a_public_address(sluice_bin, model_path):
    result = subprocess.run([sluice_bin, "serve", "--host", "0.0.0.0", "--port", "0", "--model", model_path],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "admin key" in result.stderr


def test_redis_without_pepper_is_refused(sluice_bin, model_path):
    result = subprocess.run([sluice_bin, "serve", "--port", "0", "--model", model_path,
                             "--redis", "redis://127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "key-pepper" in result.stderr

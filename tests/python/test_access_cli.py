"""`sluice keys …` against a running gateway (the admin API from the command line)."""
from __future__ import annotations

import json
import os
import subprocess

import requests

from access_support import ADMIN_KEY, Store, start_gateway


def keys(sluice_bin: str, url: str, *args: str, admin_key: str | None = ADMIN_KEY) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SLUICE_ADMIN_KEY", None)
    if admin_key:
        env["SLUICE_ADMIN_KEY"] = admin_key
    return subprocess.run([sluice_bin, "keys", *args, "--url", url], capture_output=True, text=True, timeout=30, env=env)


def test_keys_cli_round_trip(sluice_bin, model_path, tmp_path):
    gw = start_gateway(sluice_bin, model_path, Store("memory", ["--data-dir", str(tmp_path / "data")]))
    try:
        created = keys(sluice_bin, gw.url, "create", "--name", "cli", "--rpm", "5", "--model", "m1",
                       "--budget-tokens", "1000", "--budget-period", "month", "--metadata", "team=x")
        assert created.returncode == 0, created.stderr
        record = json.loads(created.stdout)
        assert record["key"].startswith("sk-sluice-") and record["rpm"] == 5
        assert record["token_budget"] == {"tokens": 1000, "period": "month"} and record["metadata"] == {"team": "x"}
        key_id = record["id"]

        listed = json.loads(keys(sluice_bin, gw.url, "list").stdout)
        assert [k["id"] for k in listed["data"]] == [key_id] and "key" not in listed["data"][0]
        updated = json.loads(keys(sluice_bin, gw.url, "update", key_id, "--tpm", "900", "--clear", "rpm").stdout)
        assert updated["tpm"] == 900 and updated["rpm"] is None
        rotated = json.loads(keys(sluice_bin, gw.url, "rotate", key_id, "--grace-seconds", "60").stdout)
        assert rotated["key"] != record["key"] and rotated["previous_key_valid_until"] is not None
        usage = json.loads(keys(sluice_bin, gw.url, "usage", key_id, "--start", "2020-01-01", "--end", "2020-12-31").stdout)
        assert usage == {"object": "list", "key_id": key_id, "data": []}
        revoked = json.loads(keys(sluice_bin, gw.url, "revoke", key_id).stdout)
        assert revoked["revoked_at"] is not None
        assert requests.get(gw.url + "/v1/models", headers={"Authorization": f"Bearer {rotated['key']}"},
                            timeout=5).status_code == 401

        denied = keys(sluice_bin, gw.url, "list", admin_key="not-the-admin-key-000")
        assert denied.returncode == 1 and "401" in denied.stderr and "invalid_api_key" in denied.stderr
        missing = keys(sluice_bin, gw.url, "show", "AAAAAAAAAAAA")
        assert missing.returncode == 1 and "404" in missing.stderr
        bad = keys(sluice_bin, gw.url, "show", "../x")
        assert bad.returncode != 0
    finally:
        gw.stop()


def test_keys_cli_reports_an_unreachable_server(sluice_bin):
    result = keys(sluice_bin, "http://127.0.0.1:1", "list")
    assert result.returncode == 1 and "cannot connect" in result.stderr


def keys_direct(sluice_bin: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    return subprocess.run([sluice_bin, "keys", *args], capture_output=True, text=True, timeout=30, env=env)


def test_keys_cli_on_redis_directly_is_seen_by_a_gateway(sluice_bin, model_path, redis_server):
    from access_support import PEPPER
    created = keys_direct(sluice_bin, "create", "--name", "direct", "--rpm", "7",
                          "--redis", redis_server.url, "--key-pepper", PEPPER)
    assert created.returncode == 0, created.stderr
    record = json.loads(created.stdout)
    gw = start_gateway(sluice_bin, model_path,
                       Store("redis", ["--redis", redis_server.url, "--key-pepper", PEPPER], redis_server))
    try:
        response = requests.get(gw.url + "/v1/models", headers={"Authorization": f"Bearer {record['key']}"}, timeout=5)
        assert response.status_code == 200
        revoked = keys_direct(sluice_bin, "revoke", record["id"], "--redis", redis_server.url, "--key-pepper", PEPPER)
        assert revoked.returncode == 0, revoked.stderr
        listed = json.loads(keys_direct(sluice_bin, "list", "--redis", redis_server.url, "--key-pepper", PEPPER).stdout)
        assert listed["data"][0]["revoked_at"] is not None
    finally:
        gw.stop()
    no_pepper = keys_direct(sluice_bin, "list", "--redis", redis_server.url)
    assert no_pepper.returncode != 0 and "key-pepper" in no_pepper.stderr


def test_keys_cli_on_a_data_dir_is_used_by_the_next_server(sluice_bin, model_path, tmp_path):
    data = str(tmp_path / "data")
    created = keys_direct(sluice_bin, "create", "--name", "offline", "--data-dir", data)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["key"]
    gw = start_gateway(sluice_bin, model_path, Store("memory", ["--data-dir", data]))
    try:
        assert requests.get(gw.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=5).status_code == 200
    finally:
        gw.stop()

"""Helpers for the access (keys, limits, cache) live tests: start gateways on a store,
create keys through the admin API, hold requests open."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import pytest
import requests

from conftest import start_sluice

ADMIN_KEY = "test-admin-key-0123456789"
PEPPER = "test-pepper-0123456789abcdef"


@dataclass
class Store:
    kind: str
    args: list[str]
    redis: object | None = None


@dataclass
class Gateway:
    server: object
    url: str
    extra: list[str] = field(default_factory=list)

    def admin(self, method: str, path: str, body=None, key: str = ADMIN_KEY) -> requests.Response:
        return requests.request(method, self.url + path, json=body,
                                headers={"Authorization": f"Bearer {key}"}, timeout=10)

    def create_key(self, **fields) -> dict:
        fields.setdefault("name", "test")
        response = self.admin("POST", "/v1/admin/keys", fields)
        assert response.status_code == 201, response.text
        return response.json()

    def hold(self, key: str, timeout: float = 10, **body) -> requests.Response:
        """POST /v1/_test/hold and read the whole (streamed) answer."""
        return requests.post(self.url + "/v1/_test/hold", json=body,
                             headers={"Authorization": f"Bearer {key}"}, timeout=timeout)

    def hold_in_background(self, key: str, **body) -> tuple[threading.Event, dict]:
        """Starts a held request; the event is set once its status line arrived."""
        started = threading.Event()
        result: dict = {}

        def run() -> None:
            try:
                with requests.post(self.url + "/v1/_test/hold", json=body, stream=True,
                                   headers={"Authorization": f"Bearer {key}"}, timeout=30) as response:
                    result["status"] = response.status_code
                    started.set()
                    for _ in response.iter_content(chunk_size=None):
                        pass
            except requests.RequestException as error:
                result["error"] = error
            finally:
                started.set()

        threading.Thread(target=run, daemon=True).start()
        return started, result

    def stop(self, sig=None) -> None:
        self.server.stop(sig)


def sluice_test_server(sluice_bin: str) -> str:
    """`sluice-test-server`: `sluice serve` plus POST /v1/_test/hold, which the release binary does not
    have. SLUICE_TEST_SERVER, else the one `make test` builds next to SLUICE_BIN."""
    path = os.environ.get("SLUICE_TEST_SERVER") or os.path.join(os.path.dirname(sluice_bin), "sluice-test-server")
    if not os.path.exists(path):
        pytest.fail(f"sluice-test-server not found at {path!r}; run the suite through `make test`")
    return path


def start_gateway(sluice_bin: str, model_path: str, store: Store, *extra: str, env=None) -> Gateway:
    args = ["--model", model_path, "--admin-key", ADMIN_KEY, "--access-log", "false", *store.args, *extra]
    server = start_sluice(sluice_test_server(sluice_bin), args, env=env)
    return Gateway(server=server, url=server.base_url, extra=list(extra))

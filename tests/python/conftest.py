"""Shared fixtures for the live test suite: the real `sluice` binary, the real
model, real sockets, and (for store tests) a real redis-server on a free port.

Paths come from the environment that `make test` sets (SLUICE_BIN, SLUICE_MODEL, and
SLUICE_TEST_SERVER for the access tests: see access_support.py);
a missing binary or model fails the suite instead of skipping it."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest

LISTEN_RE = re.compile(r"listening on (http://[\w.\-\[\]:]+)")


def _require_env_path(name: str) -> str:
    value = os.environ.get(name, "")
    if not value or not os.path.exists(value):
        pytest.fail(f"{name} must point to an existing file (got {value!r}); run the suite through `make test`")
    return value


@pytest.fixture(scope="session")
def sluice_bin() -> str:
    return _require_env_path("SLUICE_BIN")


@pytest.fixture(scope="session")
def model_path() -> str:
    return _require_env_path("SLUICE_MODEL")


@dataclass
class RunningServer:
    proc: subprocess.Popen
    base_url: str
    output: list[str] = field(default_factory=list)

    @property
    def host_port(self) -> tuple[str, int]:
        hostport = self.base_url.split("://", 1)[1]
        host, port = hostport.rsplit(":", 1)
        return host.strip("[]"), int(port)

    def log(self) -> str:
        return "".join(self.output)

    def stop(self, sig: int | None = None, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_sluice(binary: str, args: list[str], env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> RunningServer:
    """Starts `sluice serve --port 0 ...` and waits for its 'listening on' line."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env)
    server = RunningServer(proc=proc, base_url="")
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.output.append(line)
            if not ready.is_set():
                m = LISTEN_RE.search(line)
                if m:
                    server.base_url = m.group(1)
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(timeout)
    if not server.base_url:
        server.stop()
        raise RuntimeError(f"sluice did not start: {server.log()}")
    return server


@pytest.fixture(scope="session")
def server(sluice_bin: str, model_path: str):
    """One shared server with default settings for read-only tests."""
    srv = start_sluice(sluice_bin, ["--model", model_path])
    yield srv
    srv.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    proc: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; run `make deps`")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    server = RedisServer(proc=proc, port=port)
    yield server
    # A test may restart redis (server.proc is then a new process): stop whichever runs now.
    for p in {proc, server.proc}:
        if p.poll() is None:
            p.kill()
        p.wait()

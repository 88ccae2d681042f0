"""Live tests of the HTTP surface of the real `sluice serve` binary.

Needs SLUICE_BIN (the built binary) and SLUICE_MODEL (a GGUF file); a
missing one is a failure, not a skip. Each server is started on --port 0 and
the port is read from its `listening on http://HOST:PORT` line.
"""
import http.client
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

LISTENING = re.compile(r"listening on http://([^\s]+):(\d+)")


def _required_env(name):
    value = os.environ.get(name)
    assert value, f"{name} must be set (path of the sluice binary / the GGUF model)"
    assert os.path.exists(value), f"{name}={value} does not exist"
    return value


class SluiceProcess:
    """A running `sluice serve`; stdout is drained on a thread so a full pipe never stalls it."""

    def __init__(self, *args, env=None):
        self.binary = _required_env("SLUICE_BIN")
        self.model = _required_env("SLUICE_MODEL")
        command = [self.binary, "serve", "--port", "0", *args]
        if "--model" not in args:
            command += ["--model", self.model]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True)
        self.lines = []
        self.ready = threading.Event()
        self.port = None
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(20):
            self.stop()
            raise AssertionError(f"sluice did not report its address; stderr: {self.process.stderr.read()}")

    def _drain(self):
        for line in self.process.stdout:
            self.lines.append(line)
            match = LISTENING.search(line)
            if match and self.port is None:
                self.port = int(match.group(2))
                self.ready.set()
        self.ready.set()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def server():
    running = SluiceProcess("--max-body-bytes", "1024", "--log-format", "json")
    yield running
    running.stop()


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_health_is_ok(server):
    response = requests.get(f"{server.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_models_lists_the_gguf_file_name(server):
    response = requests.get(f"{server.url}/v1/models", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert len(body["data"]) == 1
    model = body["data"][0]
    expected_id = os.path.basename(server.model)
    if expected_id.lower().endswith(".gguf"):
        expected_id = expected_id[:-5]
    assert model["id"] == expected_id
    assert model["object"] == "model"
    assert model["owned_by"] == "sluice"
    assert isinstance(model["created"], int) and abs(model["created"] - time.time()) < 3600


def test_unknown_path_gets_404_envelope(server):
    response = requests.get(f"{server.url}/v1/does-not-exist", timeout=5)
    assert response.status_code == 404
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "not_found"
    assert error["param"] is None


def test_wrong_method_gets_405_envelope_with_allow(server):
    response = requests.post(f"{server.url}/health", data=b"{}", timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert error_of(response)["code"] == "method_not_allowed"


def test_oversized_body_gets_413_envelope(server):
    response = requests.post(f"{server.url}/v1/models", data=b"x" * 5000, timeout=5)
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


def test_oversized_headers_get_431_envelope(server):
    response = requests.get(f"{server.url}/health", headers={"X-Big": "b" * 20000}, timeout=5)
    assert response.status_code == 431
    assert error_of(response)["type"] == "invalid_request_error"


def test_malformed_request_line_gets_400_envelope(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /has space HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"x-request-id: " in head
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_request_id_is_echoed_when_sane_and_generated_otherwise(server):
    echoed = requests.get(f"{server.url}/health", headers={"x-request-id": "trace-42"}, timeout=5)
    assert echoed.headers["x-request-id"] == "trace-42"
    generated = [requests.get(f"{server.url}/health", headers={"x-request-id": "x" * 300}, timeout=5).headers["x-request-id"]
                 for _ in range(3)]
    assert all(0 < len(value) <= 128 and value != "x" * 300 for value in generated)
    assert len(set(generated)) == 3
    missing = requests.get(f"{server.url}/v1/nope", timeout=5)
    assert missing.headers.get("x-request-id")


def test_keep_alive_reuses_one_connection(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.connect()
    first_socket = connection.sock
    for path in ["/health", "/v1/models", "/nope", "/health"]:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.getheader("connection") is None
    assert connection.sock is first_socket
    connection.close()


def test_head_has_length_but_no_body(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("HEAD", "/health")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("content-length") == "15"
    assert response.read() == b""
    connection.request("GET", "/health")
    assert connection.getresponse().read() == b'{"status":"ok"}'
    connection.close()


def test_access_log_is_json_with_request_id(server):
    requests.get(f"{server.url}/health", headers={"x-request-id": "logged-1"}, timeout=5)
    deadline = time.time() + 5
    while time.time() < deadline:
        entries = [json.loads(line) for line in list(server.lines) if line.startswith("{")]
        matching = [entry for entry in entries if entry.get("request.id") == "logged-1"]
        if matching:
            assert matching[0]["http.status"] == 200
            assert matching[0]["http.path"] == "/health"
            return
        time.sleep(0.05)
    raise AssertionError("no access log line for request logged-1")


def test_settings_come_from_env_and_json_file():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as config:
        json.dump({"model_name": "from-file", "max_body_bytes": 10}, config)
    try:
        running = SluiceProcess("--config", config.name, env={"SLUICE_MODEL_NAME": "from-env"})
        try:
            assert requests.get(f"{running.url}/v1/models", timeout=5).json()["data"][0]["id"] == "from-env"
            assert requests.post(f"{running.url}/health", data=b"x" * 11, timeout=5).status_code == 413
        finally:
            running.stop()
    finally:
        os.unlink(config.name)


def test_sigterm_shuts_down_cleanly():
    running = SluiceProcess()
    assert requests.get(f"{running.url}/health", timeout=5).status_code == 200
    assert running.stop() == 0


def test_unreadable_model_fails_before_listening():
    binary = _required_env("SLUICE_BIN")
    with tempfile.NamedTemporaryFile(suffix=".gguf", delete=False) as bogus:
        bogus.write(b"NOTGGUF" + b"\0" * 64)
    try:
        for model in [bogus.name, "/nonexistent/model.gguf"]:
            result = subprocess.run([binary, "serve", "--port", "0", "--model", model], capture_output=True, text=True, timeout=20)
            assert result.returncode != 0
            assert model in result.stderr
            assert "listening on" not in result.stdout
    finally:
        os.unlink(bogus.name)


def test_version_flag():
    result = subprocess.run([_required_env("SLUICE_BIN"), "--version"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0
    assert re.match(r"\d+\.\d+\.\d+", result.stdout.strip())


def test_many_concurrent_keep_alive_clients(server):
    from concurrent.futures import ThreadPoolExecutor

    def client(index):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        statuses = []
        for path in ["/health", "/v1/models"] * 5:
            connection.request("GET", path, headers={"x-request-id": f"c{index}"})
            response = connection.getresponse()
            response.read()
            statuses.append((response.status, response.getheader("x-request-id")))
        connection.close()
        return statuses

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(client, range(100)))
    for index, statuses in enumerate(results):
        assert statuses == [(200, f"c{index}")] * 10


def test_slow_header_sender_is_cut_off_with_408():
    running = SluiceProcess("--header-timeout", "1")
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            start = time.time()
            sock.sendall(b"GET /health HTTP/1.1\r\n")
            received = b""
            try:
                while time.time() - start < 8:
                    sock.sendall(b"X-Slow: 1\r\n")
                    sock.settimeout(0.3)
                    try:
                        chunk = sock.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        break
                    received += chunk
            except (BrokenPipeError, ConnectionResetError):
                pass
            elapsed = time.time() - start
        assert received.startswith(b"HTTP/1.1 408 "), received[:100]
        assert elapsed < 4
    finally:
        running.stop()


def test_connections_over_the_limit_get_503():
    running = SluiceProcess("--max-connections", "2", "--event-loops", "1")
    try:
        held = [http.client.HTTPConnection("127.0.0.1", running.port, timeout=5) for _ in range(2)]
        for connection in held:
            connection.request("GET", "/health")
            assert connection.getresponse().read() == b'{"status":"ok"}'
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ")
        assert b"\r\nRetry-After: 1" in head
        assert json.loads(body)["error"]["code"] == "service_unavailable"
        for connection in held:
            connection.close()
    finally:
        running.stop()

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.api.conftest import _clear_cache, client_for, make_key, write_api  # noqa: F401  (fixtures)


def _free_port() -> int:
    for port in range(6390, 6420):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port for a test Redis")


class RedisServer:
    """A throwaway redis-server on a spare port that a test can stop and start again."""

    def __init__(self, executable: str, port: int):
        self.executable, self.port, self.process = executable, port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(200):  # wait until it answers (not an assertion on time)
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("test Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server():
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    pytest.importorskip("django_redis")
    server = RedisServer(executable, _free_port())
    server.start()
    yield server
    server.stop()

"""The ``quiet-hours`` command line run as an operator runs it: a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Subprocesses run the source under test, whether or not the package is installed.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: Settings a developer's shell may hold; blanked by ``clean_env`` so each test says its own.
SETTINGS = (
    "DATABASE_URL",
    "PORT",
    "LOG_LEVEL",
    "QUIET_HOURS_SECRET_KEY",
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "MICROSOFT_LOGIN_URL",
)

#: A Teams bot registration: a platform, so serve is ready (nothing is asked of Microsoft at start)
TEAMS = {"MICROSOFT_APP_ID": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a098", "MICROSOFT_APP_PASSWORD": "x"}


def clean_env(**settings: str) -> dict[str, str]:
    """The subprocess environment with every Quiet Hours setting unset except ``settings``."""
    env = {key: value for key, value in SUBPROCESS_ENV.items() if key not in SETTINGS}
    return {**env, **settings}


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` in ``cwd``; ``env`` is added to the inherited environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**SUBPROCESS_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    """``GET url``: the status and body, for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Serving:
    """A running ``quiet-hours serve`` on 127.0.0.1; ``output`` holds its stdout and stderr
    once ``stop`` returned."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.output = ""

    def get(self, path: str) -> tuple[int, bytes]:
        return get(f"http://127.0.0.1:{self.port}{path}")

    def stop(self) -> int:
        """SIGTERM, wait (10 s at most), collect the output; returns the exit code."""
        self.process.terminate()
        self.output, _ = self.process.communicate(timeout=10)
        return self.process.returncode


@contextmanager
def serving(cwd: Path, env: dict[str, str], *args: str) -> Iterator[Serving]:
    """Start ``serve`` with ``env`` (added to the inherited one) and wait for ``/healthz``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=cwd,
        env={**SUBPROCESS_ENV, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Serving(process, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = server.get("/healthz")
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.communicate()[0]
                    raise AssertionError(f"serve did not come up: {output}") from error
                time.sleep(0.1)
        assert status == 200
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

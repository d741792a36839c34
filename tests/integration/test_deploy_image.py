"""What the image build would do, without a container engine: build the package from exactly
the files deploy/Dockerfile copies (after .dockerignore), and run its HEALTHCHECK command
against a real `quiet-hours serve`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.deploy import ROOT, dockerfile, dockerignore_rules, in_build_context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_context_copy(destination: Path) -> None:
    """The build stage's COPY instructions, applied to what Docker would send."""
    rules = dockerignore_rules()
    for instruction in dockerfile():
        if instruction.stage != 0 or instruction.keyword != "COPY":
            continue
        source, target = instruction.arguments.split()
        for path in [ROOT / source] if (ROOT / source).is_file() else (ROOT / source).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_dir() or not in_build_context(relative, rules):
                continue
            inside = path.relative_to(ROOT / source) if (ROOT / source).is_dir() else path.name
            place = destination / target / inside
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, place)


def test_package_built_from_the_copied_files_has_its_data_and_command(tmp_path: Path) -> None:
    """What `pip install .` does in the image: migrations, presets and the manifest ship."""
    source, out = tmp_path / "src", tmp_path / "dist"
    build_context_copy(source)
    assert not (source / ".env").exists() and not (source / "tests").exists()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("quiet_hours-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {f"migrations/versions/{name}" for name in versions} <= names
    assert {f"policies/{p.name}" for p in (ROOT / "policies").glob("*.yaml")} <= names
    assert {"adapters/slack/manifest.yml", "migrations/env.py", "bot/py.typed"} <= names
    # the translations, compiled by setup.py at build time; their .po sources stay behind
    catalogs = {f"bot/i18n/locale/{lang}/LC_MESSAGES/messages.mo" for lang in ("en", "nb")}
    assert catalogs <= names
    assert not [n for n in names if n.endswith(".po")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "quiet-hours = bot.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def healthcheck_command() -> list[str]:
    (healthcheck,) = [i for i in dockerfile() if i.keyword == "HEALTHCHECK"]
    command = healthcheck.exec_form()
    assert command is not None and command[0] == "python"
    return [sys.executable, *command[1:]]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """A real `quiet-hours serve` on SQLite, ready (Slack OAuth on); yields its port."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'qh.db'}",
        "QUIET_HOURS_SECRET_KEY": TEST_KEY,
        "PORT": str(port),
        # a chat platform, or /readyz answers 503: Slack's OAuth install needs no token to start
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_SIGNING_SECRET": "signing-secret",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("serve did not come up") from None
                time.sleep(0.1)
        yield port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def run_healthcheck(port: int) -> int:
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run(healthcheck_command(), env=env, timeout=10, check=False).returncode


def test_healthcheck_passes_on_a_serving_bot_and_fails_once_it_is_gone(server: int) -> None:
    assert run_healthcheck(server) == 0
    # nothing listening: the check must fail, so Docker marks the container unhealthy
    closed = free_port()
    assert run_healthcheck(closed) != 0


def test_the_charts_helm_test_passes_against_a_ready_bot(server: int) -> None:
    """The `helm test` pod's own command, pointed at a real server instead of the Service."""
    helm = pytest.importorskip(
        "helm_python", reason="helm-python-sdk (Helm's Go SDK) is missing: pip install -e '.[test]'"
    )
    import yaml

    from tests.support.deploy import CHART

    files = helm.Chart.load(CHART).render({}, name="quiet-hours", namespace="quiet-hours")
    pod = yaml.safe_load(files["quiet-hours/templates/tests/readyz.yaml"])
    command = pod["spec"]["containers"][0]["command"]
    code = command[2].replace("http://quiet-hours:80", f"http://127.0.0.1:{server}")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=15, check=False
    )
    assert result.returncode == 0, result.stderr
    assert '"status": "ready"' in result.stdout

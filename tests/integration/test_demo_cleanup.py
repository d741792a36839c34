"""`quiet-hours demo` leaves nothing behind, however it ends."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.support.cli import SUBPROCESS_ENV, clean_env, run_cli


def scratch(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A temporary directory of the demo's own (TMPDIR), to see what it leaves there."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp, clean_env(TMPDIR=str(tmp))


def test_the_demo_removes_its_temporary_database(tmp_path: Path) -> None:
    tmp, env = scratch(tmp_path)
    for _ in range(2):
        result = run_cli("demo", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert "Digest for Platform" in result.stdout
    assert list(tmp.iterdir()) == []


def test_the_demo_cleans_up_on_ctrl_c(tmp_path: Path) -> None:
    tmp, env = scratch(tmp_path)
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env={**SUBPROCESS_ENV, **env, "PYTHONUNBUFFERED": "1"},  # each line as it is printed
        # a test run started in the background ignores SIGINT, and children inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # stop it in the middle of the week
            if line.startswith("[Fri 17:30"):
                break
        assert list(tmp.iterdir()) != []  # the week is on disk now
        demo.send_signal(signal.SIGINT)
        _, err = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 130
    assert "Traceback" not in err
    assert list(tmp.iterdir()) == []

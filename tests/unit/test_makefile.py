"""The first `make` says what it is doing before the install's minute or two of work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_first_install_announces_itself_and_shows_pips_progress(tmp_path: Path) -> None:
    venv = tmp_path / "venv"  # absent: the install would run
    planned = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", f"VENV={venv}", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert planned[0].startswith('echo "Installing Quiet Hours')
    assert "a minute or two" in planned[0]
    install = next(line for line in planned if "pip install" in line and "-e" in line)
    assert "--quiet" not in install and "-q " not in install

"""A clone without ``shared/`` beside it runs the tests: spec checks skip, CI makes them fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pytest_run(args: list[str], shared: Path, *, require: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "QH_REQUIRE_SHARED"}
    env.update({"QH_SHARED_DIR": str(shared), "PYTHONPATH": str(ROOT)})
    if require:
        env["QH_REQUIRE_SHARED"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_whole_suite_collects_without_the_published_specs(tmp_path: Path) -> None:
    # Module-level reads (parametrize lists built from payloads) used to break collection.
    done = pytest_run(["--collect-only", "-q"], tmp_path, require=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error" not in done.stdout.lower().splitlines()[-1]


def test_a_spec_check_skips_saying_what_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    done = pytest_run(["tests/unit/test_slack_manifest.py"], tmp_path, require=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "skipped" in done.stdout
    assert "web_api_openapi_v2.json is missing" in done.stdout
    assert "QH_SHARED_DIR" in done.stdout
    assert "failed" not in done.stdout and "error" not in done.stdout.lower()


def test_ci_fails_where_the_published_specs_are_absent(tmp_path: Path) -> None:
    spec_test = pytest_run(["tests/unit/test_slack_manifest.py"], tmp_path, require=True)
    assert spec_test.returncode == 1
    assert "QH_REQUIRE_SHARED=1" in spec_test.stdout
    collected = pytest_run(["tests/unit/test_teams_activities.py"], tmp_path, require=True)
    assert collected.returncode != 0
    assert "activity_schema.json is missing" in collected.stdout

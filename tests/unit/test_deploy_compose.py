"""deploy/compose.yaml and deploy/.env.example: the services, their order, and every setting.

The settings the app reads are found in the code (tests/support/deploy.py reads bot/, adapters/
and migrations/), so a setting added to bot/settings.py without a line in .env.example fails
here, and so does a line in .env.example that nothing reads. Compose's interpolation is applied
to the file as `docker compose` would, to check what the containers actually get.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from tests.conftest import TEST_KEY
from tests.support.deploy import (
    COMPOSE,
    DEPLOY,
    DOCKERFILE,
    ENV_EXAMPLE,
    ROOT,
    InterpolationError,
    app_settings,
    env_file,
    env_file_comments,
    interpolated,
    interpolation_names,
    readme_configuration_table,
)


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose_for(env: dict[str, str]) -> dict[str, Any]:
    """The Compose file as `docker compose` sees it with this deploy/.env."""
    data = interpolated(compose(), env)
    assert isinstance(data, dict)
    return data


def filled_env() -> dict[str, str]:
    """.env.example as an admin fills it in for the bundled database."""
    filled = {"POSTGRES_PASSWORD": "pw0123", "QUIET_HOURS_SECRET_KEY": TEST_KEY}
    return {**env_file(ENV_EXAMPLE), **filled}


def container_env(service: dict[str, Any], dotenv: dict[str, str]) -> dict[str, str]:
    """What a service's process sees: its env_file, then `environment:` over it."""
    assert service["env_file"] == ".env"
    return {**dotenv, **service["environment"]}


# -- .env.example covers every setting, and only settings ----------------------------------


def test_every_setting_the_app_reads_is_in_env_example() -> None:
    missing = app_settings() - env_file(ENV_EXAMPLE).keys()
    assert not missing, f"add these to deploy/.env.example, with a comment: {sorted(missing)}"


def test_env_example_names_only_settings_the_app_or_compose_reads() -> None:
    known = app_settings() | interpolation_names(COMPOSE.read_text(encoding="utf-8"))
    stale = env_file(ENV_EXAMPLE).keys() - known
    assert not stale, f"deploy/.env.example names variables nothing reads: {sorted(stale)}"


def test_every_variable_of_the_readme_configuration_table_is_in_env_example() -> None:
    table = readme_configuration_table()
    assert "QUIET_HOURS_SECRET_KEY" in table  # the table was found
    assert table <= env_file(ENV_EXAMPLE).keys()


def test_every_variable_in_env_example_is_documented_above_it() -> None:
    comments = env_file_comments(ENV_EXAMPLE)
    undocumented = [name for name in env_file(ENV_EXAMPLE) if not comments.get(name)]
    assert not undocumented


def test_env_example_values_are_the_app_defaults_and_hold_no_secret() -> None:
    """Copying the file changes nothing until the admin fills it in; no secret ships in it."""
    values = env_file(ENV_EXAMPLE)
    assert Settings.from_env({}, dotenv=ENV_EXAMPLE) == Settings()
    for secret in (
        "QUIET_HOURS_SECRET_KEY",
        "POSTGRES_PASSWORD",
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_CLIENT_SECRET",
        "SLACK_APP_TOKEN",
        "MICROSOFT_APP_PASSWORD",
    ):
        assert values[secret] == "", secret


# -- the services and their order ----------------------------------------------------------


def test_compose_runs_postgres_then_the_migration_once_then_the_bot() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "bot"}
    migrate, bot = services["migrate"], services["bot"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["command"] == ["serve", "--no-migrate"]
    assert bot["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert bot["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_health() -> None:
    data = compose()
    postgres = data["services"]["postgres"]
    volume = postgres["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data"
    assert volume[0] in data["volumes"]  # named, not a bind mount
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_bot_and_migration_run_the_image_built_from_deploy_dockerfile() -> None:
    services = compose()["services"]
    for name in ("bot", "migrate"):
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert services[name]["image"] == services["bot"]["image"]
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]


# -- what the containers get ---------------------------------------------------------------


def test_filled_in_env_gives_the_bot_the_bundled_postgres_and_the_key() -> None:
    dotenv = filled_env()
    data = compose_for(dotenv)
    postgres = data["services"]["postgres"]["environment"]
    for name in ("bot", "migrate"):
        settings = Settings.from_env(container_env(data["services"][name], dotenv), dotenv=None)
        assert settings.database_url == (
            f"postgresql+asyncpg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{postgres['POSTGRES_DB']}"
        )
        assert settings.require_secret_key() == TEST_KEY
    assert postgres["POSTGRES_PASSWORD"] == "pw0123"


def test_an_own_database_url_wins_over_the_bundled_one() -> None:
    dotenv = {**filled_env(), "DATABASE_URL": "postgresql+asyncpg://qh:s3cret@db.internal/qh"}
    bot = compose_for(dotenv)["services"]["bot"]
    settings = Settings.from_env(container_env(bot, dotenv), dotenv=None)
    assert settings.database_url == "postgresql+asyncpg://qh:s3cret@db.internal/qh"


def test_bot_port_is_published_on_the_host_address_to_the_port_it_listens_on() -> None:
    dotenv = {**filled_env(), "PORT": "8080", "QUIET_HOURS_PUBLISH": "0.0.0.0:443"}
    bot = compose_for(dotenv)["services"]["bot"]
    assert bot["ports"] == ["0.0.0.0:443:8080"]
    assert Settings.from_env(container_env(bot, dotenv), dotenv=None).port == 8080
    default = compose_for(filled_env())["services"]["bot"]
    assert default["ports"] == ["127.0.0.1:3000:3000"]  # only the host's reverse proxy reaches it


@pytest.mark.parametrize("missing", ["QUIET_HOURS_SECRET_KEY", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_a_required_secret(missing: str) -> None:
    """`docker compose up` stops with a message naming the variable, before any container."""
    with pytest.raises(InterpolationError, match=missing):
        compose_for({**filled_env(), missing: ""})


def test_no_secret_is_written_into_compose_yaml() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for line in text.splitlines():
        if any(word in line for word in ("PASSWORD:", "SECRET_KEY:", "TOKEN:")):
            assert "${" in line, line


def test_env_files_stay_out_of_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored  # matches deploy/.env too


# -- compose-lint: the security linter for Compose files -----------------------------------


def compose_lint() -> str:
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("compose-lint") or shutil.which("compose-lint", path=beside_python)
    if found is None:
        pytest.skip("compose-lint is not installed: pip install -e '.[test]'")
    return found


def lint_project(directory: Path, compose_text: str) -> subprocess.CompletedProcess[str]:
    """compose-lint on a project laid out as an admin has it, with a filled-in .env."""
    (directory / "compose.yaml").write_text(compose_text, encoding="utf-8")
    shutil.copy(DEPLOY / ".compose-lint.yml", directory / ".compose-lint.yml")
    dotenv = {**filled_env(), "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}
    lines = [f"{name}={value}" for name, value in dotenv.items()]
    (directory / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [compose_lint(), "check", "--config", ".compose-lint.yml", "--strict-config"]
    return subprocess.run(
        [*command, "--fail-on", "low", "compose.yaml"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )


def test_compose_lint_finds_nothing_beyond_its_documented_exceptions(tmp_path: Path) -> None:
    """Every exception in deploy/.compose-lint.yml says why; --strict-config refuses stale ones."""
    result = lint_project(tmp_path, COMPOSE.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_lint_is_the_judge_it_claims_to_be(tmp_path: Path) -> None:
    risky = COMPOSE.read_text(encoding="utf-8").replace(
        "    restart: unless-stopped\n    # SIGTERM",
        "    privileged: true\n    restart: unless-stopped\n    # SIGTERM",
    )
    assert "privileged: true" in risky
    result = lint_project(tmp_path, risky)
    assert result.returncode == 1
    assert "CL-0002" in result.stdout  # privileged mode

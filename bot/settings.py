"""Typed settings read from the environment (and a ``.env`` file when present)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError

__all__ = ["DEFAULT_DATABASE_URL", "SUPPORTED_DATABASES", "ConfigError", "Settings", "environment"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./quiet-hours.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0/"
#: Microsoft Entra ID (login) for the bot's tokens; a sovereign cloud has its own.
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"

#: The SQLAlchemy drivers Quiet Hours installs and tests (async only).
SUPPORTED_DATABASES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_DATABASE_HINT = (
    "use sqlite+aiosqlite:///./quiet-hours.db or "
    "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE"
)


def _get(env: Mapping[str, str | None], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def _positive(env: Mapping[str, str | None], name: str, default: float) -> float:
    text = _get(env, name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {text!r}") from None
    if not math.isfinite(value):  # float() reads "nan" and "inf" too
        raise ConfigError(f"{name} must be a number, not {text!r}")
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}")
    return value


def _days(env: Mapping[str, str | None], name: str, default: int) -> int:
    """A whole number of days, at least 1 (``default`` when unset)."""
    text = _get(env, name)
    if text is None:
        return default
    # ASCII digits only: "²".isdigit() is true, and int() refuses it
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ConfigError(f"{name} must be a whole number of days (1 or more), not {text!r}")
    return int(text)


def _count(env: Mapping[str, str | None], name: str) -> int | None:
    """A whole number, at least 1 (None when unset)."""
    text = _get(env, name)
    if text is None:
        return None
    # ASCII digits only: "²".isdigit() is true, and int() refuses it
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ConfigError(f"{name} must be a whole number (1 or more), not {text!r}")
    return int(text)


def _switch(env: Mapping[str, str | None], name: str) -> bool:
    text = (_get(env, name) or "0").lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 (on) or 0 (off), not {text!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs; see the configuration table in the README."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    port: int = 3000
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_graph_url: str = DEFAULT_GRAPH_URL
    microsoft_login_url: str = DEFAULT_LOGIN_URL  # where `doctor` asks for a bot token
    log_level: str = "INFO"
    log_format: str = "text"  # LOG_FORMAT: "text" or "json"
    delivery_lease_seconds: float = 60.0
    operator_name: str | None = None  # who runs this server, named on /privacy and /terms
    operator_contact: str | None = None  # their e-mail address or URL for privacy requests
    activity_retention_days: int = (
        90  # activity metadata and urgent records (bot.services.retention)
    )
    #: Slack publishes no workspace-wide figure for chat.postMessage; see bot/delivery/ratelimit.py
    slack_workspace_rate: float = 20.0
    #: how many of them may go at once (None: one second's worth, the rate)
    slack_workspace_burst: int | None = None
    #: ``QH_TEAMS_ANONYMOUS=1``: with no app id, serve /api/messages unauthenticated to loopback
    #: clients only (local testing, e.g. Microsoft 365 Agents Playground)
    teams_anonymous: bool = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")
    ) -> Settings:
        """Read settings; real environment variables win over the ``.env`` file."""
        env = environment(environ, dotenv=dotenv)
        port_text = _get(env, "PORT") or "3000"
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigError(f"PORT must be a number, not {port_text!r}") from None
        if not 0 < port < 65536:
            raise ConfigError(f"PORT must be between 1 and 65535, not {port}")
        return cls(
            database_url=_get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=_get(env, "QUIET_HOURS_SECRET_KEY"),
            port=port,
            slack_signing_secret=_get(env, "SLACK_SIGNING_SECRET"),
            slack_bot_token=_get(env, "SLACK_BOT_TOKEN"),
            slack_client_id=_get(env, "SLACK_CLIENT_ID"),
            slack_client_secret=_get(env, "SLACK_CLIENT_SECRET"),
            slack_app_token=_get(env, "SLACK_APP_TOKEN"),
            slack_api_url=_get(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            microsoft_app_id=_get(env, "MICROSOFT_APP_ID"),
            microsoft_app_password=_get(env, "MICROSOFT_APP_PASSWORD"),
            microsoft_app_tenant_id=_get(env, "MICROSOFT_APP_TENANT_ID"),
            microsoft_graph_url=_get(env, "MICROSOFT_GRAPH_URL") or DEFAULT_GRAPH_URL,
            microsoft_login_url=_get(env, "MICROSOFT_LOGIN_URL") or DEFAULT_LOGIN_URL,
            log_level=(_get(env, "LOG_LEVEL") or "INFO").upper(),
            log_format=(_get(env, "LOG_FORMAT") or "text").lower(),
            delivery_lease_seconds=_positive(env, "QUIET_HOURS_LEASE_SECONDS", 60.0),
            operator_name=_get(env, "QUIET_HOURS_OPERATOR"),
            operator_contact=_get(env, "QUIET_HOURS_CONTACT"),
            activity_retention_days=_days(env, "QUIET_HOURS_ACTIVITY_RETENTION_DAYS", 90),
            slack_workspace_rate=_positive(env, "QUIET_HOURS_SLACK_WORKSPACE_RATE", 20.0),
            slack_workspace_burst=_count(env, "QUIET_HOURS_SLACK_WORKSPACE_BURST"),
            teams_anonymous=_switch(env, "QH_TEAMS_ANONYMOUS"),
        )

    def __post_init__(self) -> None:
        check_database_url(self.database_url)

    def require_secret_key(self) -> str:
        if self.secret_key is None:
            raise ConfigError(
                "QUIET_HOURS_SECRET_KEY is not set. It encrypts held messages and tokens at rest. "
                "Run `quiet-hours init` to write a new key to .env for a local install, or "
                "`quiet-hours keygen` to print one for your secret store."
            )
        return self.secret_key


def environment(
    environ: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")
) -> dict[str, str | None]:
    """Every setting's raw text: the ``.env`` file's values, with the real environment
    (``environ``, default ``os.environ``) winning. Every documented setting is read from here
    (``Settings.from_env``; ``LOG_LEVEL`` and ``LOG_FORMAT`` by the command line before any
    other setting is checked), so each works from ``.env`` alike. Never raises for content."""
    env: dict[str, str | None] = {}
    if dotenv is not None and dotenv.is_file():
        env.update(dotenv_values(dotenv))
    env.update(os.environ if environ is None else environ)
    return env


def check_database_url(url: str) -> None:
    """Raise ``ConfigError`` unless ``url`` is a SQLAlchemy URL for a supported async driver.

    Checked when settings are made, so a wrong ``DATABASE_URL`` (or ``--database-url``) is one
    line at start rather than a driver import error; the password is never repeated.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        shown = url if "@" not in url else "…@" + url.rsplit("@", 1)[1]
        raise ConfigError(
            f"DATABASE_URL {shown!r} is not a database URL: {_DATABASE_HINT}"
        ) from None
    if parsed.drivername not in SUPPORTED_DATABASES:
        shown = parsed.render_as_string(hide_password=True)
        raise ConfigError(
            f"DATABASE_URL {shown!r} uses {parsed.drivername}, which Quiet Hours does not "
            f"support: {_DATABASE_HINT}"
        )

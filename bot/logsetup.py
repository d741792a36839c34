"""Logging for the command line: the chosen level, one format, and routine chatter turned down.

At INFO an operator should see what changed (migrations run, the server listening, deliveries,
warnings), not what repeats: APScheduler announces every run of the 30-second digest tick, Alembic
names its DDL mode on every start, slack_sdk each retry, the Agents SDK its connection settings.
Those go quiet here (``QUIETED``); ``LOG_LEVEL=DEBUG`` brings them back. Health and metrics probes
are left out of the access log by ``bot.web.QuietProbesAccessLogger``.
"""

from __future__ import annotations

import logging

from bot.logs import JsonFormatter, install_redaction

__all__ = ["DEFAULT_LEVEL", "QUIETED", "configure_logging", "level_from"]

DEFAULT_LEVEL = "INFO"

#: Alembic's per-start lines that say nothing about this database's schema.
_ALEMBIC_CHATTER = ("Context impl ", "Will assume ")
#: The Agents SDK warns on every Teams turn that runs without an app id; without one is exactly
#: what QH_TEAMS_ANONYMOUS is, and serve has said so once, loudly, at start.
_NO_APP_ID_LOGGER = "microsoft_agents.hosting.core.connector.client.user_token_client"
_NO_APP_ID = "App ID is not provided"


#: Loggers held at WARNING unless the level is DEBUG.
QUIETED = (
    # "Running job …" / "… executed successfully" every DIGEST_TICK_SECONDS; failures stay
    "apscheduler",
    # each of alembic's autogenerate plugins, on every start
    "alembic.runtime.plugins",
    # each retry slack_sdk is about to make (what finally fails is logged or raised by our code)
    "slack_sdk.web.async_base_client",
    # the Agents SDK's 15-line dump of its connection settings, on every start with Teams
    "microsoft_agents.hosting.core.authorization.connection_manager",
)


def level_from(text: str | None) -> str:
    """A logging level name from ``LOG_LEVEL`` (case-insensitive); INFO when unset or unknown."""
    level = (text or DEFAULT_LEVEL).strip().upper()
    return level if level in logging.getLevelNamesMapping() else DEFAULT_LEVEL


def _not_chatter(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_ALEMBIC_CHATTER)


def _not_no_app_id(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_NO_APP_ID)


def configure_logging(level: str, fmt: str = "text") -> None:
    """Log to stderr at ``level`` (a level name), with the routine chatter above kept out, and
    every record scrubbed of tokens, secrets and message text (``bot.logs``), at any level."""
    install_redaction()
    handler = logging.StreamHandler()
    if fmt.strip().lower() == "json":  # LOG_FORMAT=json: one object per line
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    quiet = logging.getLevelNamesMapping()[level] > logging.DEBUG
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    migration = logging.getLogger("alembic.runtime.migration")
    migration.removeFilter(_not_chatter)
    no_app_id = logging.getLogger(_NO_APP_ID_LOGGER)
    no_app_id.removeFilter(_not_no_app_id)
    if quiet:
        migration.addFilter(_not_chatter)
        no_app_id.addFilter(_not_no_app_id)

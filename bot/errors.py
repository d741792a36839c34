"""Why a command could not start, said in one line: what is wrong and what to do about it.

Anything that stops ``serve``, ``migrate``, ``demo`` or another command before it can do its work
(a setting, the database, the port, a platform refusing our credentials) raises a
``StartupError``. The command line catches it once (``bot.cli.main``), prints its message as one
line on stderr and exits with its ``exit_code``; no traceback unless ``--debug`` or
``LOG_LEVEL=DEBUG``. Exit codes (the README's "Exit codes"):

- 2 ``ConfigError``: a setting or argument is wrong; change it and start again;
- 1 ``StartupError``: something outside is not there (database down, port taken, Slack
  unreachable); starting again later may work.
"""

from __future__ import annotations

__all__ = ["ConfigError", "StartupError", "one_line"]


def one_line(text: str, *, limit: int = 300) -> str:
    """``text`` on one line (whitespace runs folded), cut to ``limit`` characters."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


class StartupError(Exception):
    """The process cannot start; ``str(error)`` says what is wrong and what to do (one line)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message, limit=1000))


class ConfigError(StartupError):
    """A setting is missing or wrong; the message tells the operator what to do."""

    exit_code = 2

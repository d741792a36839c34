"""Logging that never carries secrets or message text, at any level (``LOG_LEVEL=DEBUG`` too).

Redaction happens where every record is made — a ``logging`` record factory, installed once by
``bot.logsetup.configure_logging`` — so it covers every logger and every handler (ours, the
libraries', pytest's), whatever their level. Each record's message is rendered once and scrubbed of:

- Slack tokens (``xoxb-…``, ``xoxp-…``, ``xoxa-…``, ``xoxr-…``, ``xoxe…``, ``xapp-…``), JWTs
  (``eyJ….….…``), ``Bearer …`` and ``Authorization``/``Cookie`` header values;
- ``client_secret``, ``password``, ``token``, OAuth ``code`` and ``state`` values (in query
  strings, form bodies, dict reprs and JSON);
- message text and request/response bodies in what libraries log at DEBUG: slack_sdk's "Sending a
  request … body_params/json_body" and "Received the following response … body", aiohttp,
  microsoft_agents, msal — everything after a body marker, and the value of any ``text`` key.

Tracebacks are rendered and scrubbed the same way. The access log prints no query string for the
OAuth routes (:class:`QuietAccessLogger`), so a ``code`` never reaches it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pythonjsonlogger.json
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.web import QuietProbesAccessLogger

__all__ = ["OAUTH_PATHS", "JsonFormatter", "QuietAccessLogger", "install_redaction", "scrub"]

#: Routes whose query string carries a one-time secret (OAuth ``code``, ``state``).
OAUTH_PATHS = frozenset({"/slack/install", "/slack/oauth_redirect"})
REDACTED = "[redacted]"
#: Our own loggers never log bodies; other loggers' body dumps are cut at these markers.
OWN_LOGGERS = ("bot", "adapters", "migrations")

_SECRETS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox?-" + REDACTED),
    (re.compile(r"\bxox[a-z]\.[A-Za-z0-9._-]+"), "xox?." + REDACTED),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-" + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt " + REDACTED + "]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (
        re.compile(r"""(?i)((?:authorization|cookie|set-cookie)['"]?\s*[:=]\s*['"]?)[^'"\n]+"""),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"""(?i)(['"]?\b(?:client_secret|password|(?:access_|refresh_|bot_|user_|app_)?token"""
            r"""|code|state|signing_secret)['"]?\s*[:=]\s*['"]?)[^'"&,}\s]+"""
        ),
        r"\1" + REDACTED,
    ),
]
#: Where a library starts dumping a request or response body; the rest of the line goes.
_BODY = re.compile(
    r"(?is)\b(body_params|json_body|body|data|payload|json|activity|files)(\s*[:=]\s*).+"
)
#: ``"text": "…"`` / ``'text': '…'`` / ``text='…'`` — message text in dumps and reprs.
_TEXT = re.compile(r"""(?s)(['"]?\btext['"]?\s*[:=]\s*)(['"])(?:\\.|(?!\2).)*\2""")


def scrub(text: str, *, library: bool = True) -> str:
    """``text`` without secrets; for a library's record also without bodies and message text."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    if library:
        text = _TEXT.sub(r"\1\2" + REDACTED + r"\2", text)
        text = _BODY.sub(r"\1\2" + REDACTED, text)
    return text


_installed: Callable[..., logging.LogRecord] | None = None


def install_redaction() -> None:
    """Make every log record scrubbed at creation (idempotent; see the module docstring)."""
    global _installed
    if _installed is not None:
        return
    make = logging.getLogRecordFactory()

    def redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        library = not record.name.startswith(OWN_LOGGERS)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template only
            message = str(record.msg)
        record.msg, record.args = scrub(message, library=library), None
        if record.exc_info and record.exc_info[0] is not None:
            rendered = logging.Formatter().formatException(record.exc_info)
            record.exc_text = scrub(rendered, library=library)
        return record

    logging.setLogRecordFactory(redacting_record)
    _installed = redacting_record


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """``LOG_FORMAT=json`` (python-json-logger): one JSON object per line — ``time`` (UTC, ISO
    8601), ``level``, ``logger``, ``message`` and, for an error, ``exception``. Only these fields:
    what a library passes as ``extra`` (aiohttp's access log passes the request line, with an
    OAuth ``code`` in it) is never printed, nor a dict logged as the message."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def add_fields(
        self,
        log_data: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        """The fields above only: the library's extras and message dicts are left out."""
        # The library renders the traceback afresh from record.exc_info; the record factory
        # above has already rendered and scrubbed it into exc_text, which is what is printed.
        kept: dict[str, Any] = {}
        if record.exc_info:
            kept["exc_info"] = record.exc_text or scrub(str(message_dict.get("exc_info", "")))
        super().add_fields(log_data, record, kept)
        for key in list(log_data):
            if key not in _JSON_FIELDS:
                del log_data[key]


_JSON_FIELDS = frozenset({"time", "level", "logger", "message", "exception"})


class QuietAccessLogger(QuietProbesAccessLogger):
    """aiohttp's access log without the probes (``bot.web``), and printing the OAuth routes
    without their query string."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in OAUTH_PATHS and request.query_string:
            request = request.clone(rel_url=request.rel_url.with_query(None))
        super().log(request, response, time)


_: type[AbstractAccessLogger] = QuietAccessLogger

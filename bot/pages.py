"""The public pages ``/`` (what this server is), ``/privacy`` and ``/terms``, in English or bokmål.

The Teams app package links all three (``websiteUrl``, ``privacyUrl``, ``termsOfUseUrl``: required
by the Teams app manifest schema), and a workplace that deploys Quiet Hours owes its people a
plain account of what is stored about them (GDPR art. 13). The operator (the organisation that
runs this server) is named from ``QUIET_HOURS_OPERATOR`` and reached at ``QUIET_HOURS_CONTACT``;
without them the pages say that the organisation running the service answers requests.

Long-form legal text reads and translates better whole than cut into catalog fragments, so each
page is one Jinja2 template per language (``bot/templates/<page>.<lang>.html.j2``), with
autoescaping on: the operator's settings are text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["LANGUAGES", "Operator", "add_legal_pages", "choose_language"]

LANGUAGES = ("en", "nb")
_NORWEGIAN = {"nb", "no", "nn"}  # bokmål is the Norwegian we ship; nynorsk readers read it too
_PAGES = {"/": "index", "/privacy": "privacy", "/terms": "terms"}
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


@dataclass(frozen=True)
class Operator:
    """Who runs this server: a name and a contact (an e-mail address or a URL), both optional;
    and how many days they keep activity metadata (``QUIET_HOURS_ACTIVITY_RETENTION_DAYS``)."""

    name: str | None = None
    contact: str | None = None
    activity_days: int = 90

    @property
    def contact_href(self) -> str | None:
        """A link for the contact: ``mailto:`` for an address, the URL itself for http(s)."""
        if self.contact is None:
            return None
        if self.contact.startswith(("https://", "http://")):
            return self.contact
        if "@" in self.contact and " " not in self.contact:
            return f"mailto:{self.contact}"
        return None


OPERATOR_KEY: web.AppKey[Operator] = web.AppKey("operator", Operator)
_TEMPLATES_KEY: web.AppKey[Environment] = web.AppKey("legal_templates", Environment)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def choose_language(query: str | None, accept_language: str | None) -> str:
    """``"nb"`` or ``"en"``: ``?lang=`` wins, then the best ``Accept-Language`` range we have.

    ``Accept-Language`` is read as RFC 9110 §12.5.4 describes it: comma-separated ranges with an
    optional ``q`` weight (default 1); ranges we cannot read or with ``q=0`` are skipped. English is
    the answer when nothing we ship is asked for. Never raises.
    """
    if query:
        wanted = query.strip().lower()
        if wanted in _NORWEGIAN:
            return "nb"
        if wanted == "en":
            return "en"
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:32]):
        match = _RANGE.match(part)
        if match is None:
            continue
        primary = match.group(1).lower()
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = "nb" if primary in _NORWEGIAN else primary
        if language not in LANGUAGES or not 0 < weight <= 1:
            continue
        candidate = (weight, -position, language)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else "en"


def _page(name: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        language = choose_language(
            request.query.get("lang"), request.headers.get("Accept-Language")
        )
        template = request.app[_TEMPLATES_KEY].get_template(f"{name}.{language}.html.j2")
        body = template.render(operator=request.app[OPERATOR_KEY], lang=language)
        return web.Response(
            text=body,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Language": language,
                "Vary": "Accept-Language",
                "Cache-Control": "public, max-age=3600",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            },
        )

    return handler


def add_legal_pages(app: web.Application, operator: Operator) -> None:
    """Serve ``GET /`` (what this is: the Teams manifest's ``websiteUrl``), ``GET /privacy``
    and ``GET /terms`` on ``app`` (before it starts)."""
    app[OPERATOR_KEY] = operator
    app[_TEMPLATES_KEY] = Environment(
        loader=PackageLoader("bot", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for path, name in _PAGES.items():
        app.router.add_get(path, _page(name))

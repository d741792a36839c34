"""``quiet-hours doctor``: is this installation able to run? One ✓/✗ line per check.

Checks, in order: the settings parse; ``QUIET_HOURS_SECRET_KEY`` is set and a proper key; the
database answers and its schema is the newest; the keys can read the stored data; and, for each
chat platform configured, its credentials: Slack's ``auth.test`` with ``SLACK_BOT_TOKEN`` (at
``SLACK_API_URL``), Microsoft's token endpoint with ``MICROSOFT_APP_ID`` and
``MICROSOFT_APP_PASSWORD`` (the client-credentials grant for the Bot Connector, as the bot makes
it). A check whose premise failed is not run and says so. Every ✗ line says what is wrong and
what to do, never a secret. Exit code 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

from bot.errors import StartupError, one_line
from bot.settings import Settings
from bot.storage.crypto import Cipher, KeyFormatError

__all__ = ["Check", "doctor", "run_checks", "teams_token"]

#: The Bot Connector's scope; Microsoft documents this grant in "Authenticate requests from your
#: bot to the Bot Connector service" (learn.microsoft.com/azure/bot-service/rest-api).
BOT_SCOPE = "https://api.botframework.com/.default"
#: Microsoft's token endpoint timeout, seconds.
TOKEN_TIMEOUT = 10.0


@dataclass(frozen=True)
class Check:
    """One check's answer: ``detail`` says what is fine, or what is wrong and how to fix it."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


def _skipped(name: str, because: str) -> Check:
    return Check(name, False, f"not checked: {because}")


async def _database(settings: Settings) -> tuple[list[Check], bool]:
    """Reachable, and at the newest schema; the second value says both are so."""
    from bot.storage.db import create_engine
    from bot.storage.migrate import current_revision, head_revision
    from bot.storage.reachable import require_database

    url = make_url(settings.database_url)
    where = url.render_as_string(hide_password=True)
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not await asyncio.to_thread(Path(file).exists):
        # connecting would create an empty file
        return [
            Check("database", False, f"{where} does not exist: run `quiet-hours migrate`"),
            _skipped("schema", "no database"),
        ], False
    engine = create_engine(settings.database_url)
    try:
        try:
            await require_database(engine)
        except StartupError as error:
            return [Check("database", False, str(error)), _skipped("schema", "no database")], False
        checks = [Check("database", True, f"{where} answers")]
        revision, expected = await current_revision(engine), head_revision()
        if revision != expected:
            state = "has no Quiet Hours schema" if revision is None else f"is at {revision}"
            checks.append(
                Check(
                    "schema",
                    False,
                    f"the database {state}, this version expects {expected}: "
                    "run `quiet-hours migrate`",
                )
            )
            return checks, False
        checks.append(Check("schema", True, f"at the newest migration ({expected})"))
        return checks, True
    finally:
        await engine.dispose()


async def _keys(settings: Settings, cipher: Cipher) -> Check:
    """The configured keys decrypt a sample of each kind of stored secret (the probe ``serve``
    and ``/readyz`` run: bot.storage.keycheck)."""
    from bot.storage.db import create_engine
    from bot.storage.keycheck import check_keys

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            found = await check_keys(connection, cipher)
    finally:
        await engine.dispose()
    if found.ok:
        return Check("keys", True, "QUIET_HOURS_SECRET_KEY reads the stored data")
    return Check("keys", False, found.describe())


async def _slack(settings: Settings) -> Check:
    from adapters.slack.tokens import check_bot_token

    if not settings.slack_bot_token:
        return Check(
            "Slack",
            True,
            "installed by OAuth: each workspace's token is checked when it is used",
        )
    try:
        team = await check_bot_token(settings.slack_bot_token, settings.slack_api_url)
    except StartupError as error:
        return Check("Slack", False, str(error))
    return Check("Slack", True, f"SLACK_BOT_TOKEN works for workspace {team}")


async def teams_token(
    app_id: str, password: str | None, tenant_id: str | None, login_url: str
) -> str | None:
    """Ask Microsoft's token endpoint for a Bot Connector token; ``None`` when granted, else
    one line saying what is wrong and what to do (Microsoft's error code, never the secret)."""
    tenant = tenant_id or "botframework.com"
    url = f"{login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": app_id,
        "client_secret": password or "",
        "scope": BOT_SCOPE,
    }
    try:
        timeout = aiohttp.ClientTimeout(total=TOKEN_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(url, data=form) as response,
        ):
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
        cause = one_line(str(error) or type(error).__name__, limit=200)
        return f"cannot reach Microsoft at {url}: {cause}; check the network or MICROSOFT_LOGIN_URL"
    if isinstance(body, dict) and body.get("access_token"):
        return None
    code = str(body.get("error", response.status)) if isinstance(body, dict) else response.status
    return (
        f"Microsoft refused MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD ({code}): copy the app id "
        "and a current client secret from the bot's Azure registration (Certificates & "
        "secrets); a single-tenant bot also needs MICROSOFT_APP_TENANT_ID"
    )


async def _teams(settings: Settings) -> Check:
    assert settings.microsoft_app_id is not None
    problem = await teams_token(
        settings.microsoft_app_id,
        settings.microsoft_app_password,
        settings.microsoft_app_tenant_id,
        settings.microsoft_login_url,
    )
    if problem is not None:
        return Check("Teams", False, problem)
    return Check("Teams", True, "Microsoft grants the bot a token")


async def run_checks(settings: Settings) -> list[Check]:
    """Every check for ``settings``, in order (see the module docstring); never raises for a
    failed check."""
    checks: list[Check] = [Check("settings", True, "parsed")]
    cipher: Cipher | None = None
    try:
        cipher = Cipher.from_secret(settings.require_secret_key())
        checks.append(Check("secret key", True, "QUIET_HOURS_SECRET_KEY is a proper key"))
    except (StartupError, KeyFormatError) as error:  # not set, or not a key (a passphrase)
        checks.append(Check("secret key", False, one_line(str(error), limit=1000)))
    found, schema_ok = await _database(settings)
    checks.extend(found)
    if cipher is None:
        checks.append(_skipped("keys", "no usable QUIET_HOURS_SECRET_KEY"))
    elif not schema_ok:
        checks.append(_skipped("keys", "the database is not ready"))
    else:
        checks.append(await _keys(settings, cipher))
    if settings.slack_bot_token or settings.slack_client_id:
        checks.append(await _slack(settings))
    if settings.microsoft_app_id:
        checks.append(await _teams(settings))
    if not (settings.slack_bot_token or settings.slack_client_id or settings.microsoft_app_id):
        checks.append(
            Check(
                "platforms",
                False,
                "no chat platform configured: set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET), or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD",
            )
        )
    return checks


def doctor(settings_from: Callable[[], Settings]) -> int:
    """Print one line per check; 0 when all passed, 1 otherwise. Settings that do not parse
    are the first ✗ line (no other check can run without them)."""
    try:
        settings = settings_from()
    except StartupError as error:
        print(Check("settings", False, str(error)).line())
        return 1
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1

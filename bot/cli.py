"""The ``quiet-hours`` command line: serve, migrate, policies, hours checks and key handling."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

from bot.cli_paths import OutputRefused
from bot.domain.hours_syntax import HoursSyntaxError, parse_hours
from bot.errors import StartupError, one_line
from bot.i18n import format_instant, translate, translate_plural
from bot.logsetup import configure_logging, level_from
from bot.settings import Settings, environment

__all__ = ["PROGRAM", "main"]

#: The command's name: every line it writes to stderr starts with ``quiet-hours: ``.
PROGRAM = "quiet-hours"

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input on the command line; the message is shown as is."""


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    url = getattr(args, "database_url", None)
    if url:
        settings = Settings(**{**settings.__dict__, "database_url": url})
    return settings


# -- migrate / serve ---------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.cli_paths import tighten_database_files
    from bot.storage.migrate import upgrade_url

    settings = _settings(args)
    upgrade_url(settings.database_url)
    for file in tighten_database_files(settings.database_url):
        print(f"{file} was readable by others: now by its owner only (mode 600)")
    print(f"database is up to date ({_redact(settings.database_url)})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.bootstrap import serve

    settings = _settings(args)
    if args.port is not None:
        if not 0 < args.port < 65536:  # as PORT (bot.settings)
            raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
        settings = Settings(**{**settings.__dict__, "port": args.port})
    asyncio.run(serve(settings, host=args.host, migrate=not args.no_migrate))
    return 0


def _redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.cli_export import WorkspaceNotFoundError, export

    try:
        return export(args, _settings(args))
    except WorkspaceNotFoundError as error:
        raise UsageError(str(error)) from None


def cmd_demo(args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # the timeline is the output
    if args.platform == "teams":
        from adapters.sandbox.teams_demo import run_teams_demo

        # the local-testing mode's loud line is for operators; here it is the point
        logging.getLogger("bot.bootstrap").setLevel(logging.ERROR)
        return asyncio.run(run_teams_demo(database_url=args.database_url))
    from adapters.sandbox.demo import run_demo

    return asyncio.run(run_demo(database_url=args.database_url))


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot.cli_simulate import SimulationInputError, simulate

    try:
        return simulate(args)
    except SimulationInputError as error:
        raise UsageError(str(error)) from None


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.cli_doctor import doctor

    return doctor(lambda: _settings(args))


# -- keys ----------------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    from bot.storage.crypto import Cipher

    print(Cipher.generate_key())
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from dotenv import dotenv_values

    from bot.cli_paths import refuse_unwritable, write_failed
    from bot.storage.crypto import Cipher

    env_file = Path(args.env_file)
    refuse_unwritable(args.env_file, "--env-file")
    existing = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
    if (dotenv_values(env_file).get("QUIET_HOURS_SECRET_KEY") or "").strip():
        print(f"{env_file} already has QUIET_HOURS_SECRET_KEY; left unchanged")
        return 0
    # an empty `QUIET_HOURS_SECRET_KEY=` line (deploy/.env.example has one) is filled in place
    line = f"QUIET_HOURS_SECRET_KEY={Cipher.generate_key()}"
    empty = re.compile(r"^[ \t]*(?:export[ \t]+)?QUIET_HOURS_SECRET_KEY[ \t]*=.*$", re.MULTILINE)
    if empty.search(existing):
        written = empty.sub(lambda _: line, existing, count=1)
    else:
        separator = "" if not existing or existing.endswith("\n") else "\n"
        written = f"{existing}{separator}{line}\n"
    try:  # created 0600 (never readable by others, not even for a moment), as export files
        descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(written)
    except OSError as error:
        raise write_failed(env_file, "--env-file", error) from None
    print(f"wrote a new QUIET_HOURS_SECRET_KEY to {env_file} (keep it secret, keep it safe)")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from bot.storage.crypto import Cipher, DecryptionError
    from bot.storage.db import create_engine, session_factory
    from bot.storage.keycheck import REMEDY
    from bot.storage.migrate import require_schema
    from bot.storage.repositories import rotate_encryption

    settings = _settings(args)
    cipher = Cipher.from_secret(settings.require_secret_key())

    async def rotate() -> int:
        engine = create_engine(settings.database_url)
        try:
            await require_schema(engine)
            async with session_factory(engine)() as session, session.begin():
                return await rotate_encryption(session, cipher)
        finally:
            await engine.dispose()

    try:
        count = asyncio.run(rotate())
    except DecryptionError:  # all or nothing: the transaction rolled back, nothing changed
        raise UsageError(
            f"nothing re-encrypted: QUIET_HOURS_SECRET_KEY cannot read some stored data; {REMEDY}"
        ) from None
    print(translate("cli.rotate.done", "en", values=translate_plural("count.values", count, "en")))
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.cli_data import WorkspaceNotFound, erase

    if not args.yes:  # it cannot be undone: a typed id at a terminal, or --yes in scripts
        if not sys.stdin.isatty():
            raise UsageError(
                f"erasing workspace {args.workspace} cannot be undone: add --yes to go ahead"
            )
        typed = input(
            f"Erase everything stored about workspace {args.workspace}? It cannot be undone. "
            "Type its id to confirm: "
        )
        if typed.strip() != args.workspace:
            print("nothing erased")
            return 1
    try:
        return erase(args, _settings(args).database_url)
    except WorkspaceNotFound as error:
        raise UsageError(str(error)) from None


# -- policies --------------------------------------------------------------------------------


def cmd_policy_list(args: argparse.Namespace) -> int:
    from bot.presets import list_presets, load_preset

    for name in list_presets():
        preset = load_preset(name)
        print(f"{name:18} {preset.title_in(args.locale)}")
    return 0


def cmd_policy_validate(args: argparse.Namespace) -> int:
    from bot.presets import PresetError, list_presets, load_preset, load_preset_file

    failures = 0
    targets: list[str] = list(args.files)
    if args.all:
        targets.extend(list_presets())
    if not targets:
        raise UsageError("name at least one FILE, or use --all for every shipped preset")
    for target in targets:
        try:
            if Path(target).exists() or target.endswith((".yaml", ".yml")):
                load_preset_file(Path(target))
            else:
                load_preset(target)
        except PresetError as error:
            failures += 1
            for line in str(error).splitlines():  # one error a line, prefixed like every other
                print(f"{PROGRAM}: {line}", file=sys.stderr)
        else:
            print(f"{target}: ok")
    return 1 if failures else 0


def cmd_policy_show(args: argparse.Namespace) -> int:
    from bot.presets import preset_text

    print(preset_text(args.name), end="")
    return 0


# -- hours -----------------------------------------------------------------------------------


#: ``hours check --at`` answers for instants from 1970 to 2099 (UTC): what the hours, holiday
#: calendars and two-year look-ahead are for; the year 1 or 9999 would leave ``datetime``'s range.
FIRST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)


def _instant(text: str | None, zone: ZoneInfo) -> datetime:
    """``--at`` as an aware instant (no offset: on the hours' wall clock); raises
    :class:`UsageError` for text that is no ISO instant or one outside 1970-2099 UTC."""
    if text is None:
        return datetime.now(zone)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        # An instant without an offset is read on the hours' own wall clock.
        value = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        in_range = FIRST_INSTANT <= value < LAST_INSTANT
    except (ValueError, OverflowError):  # OverflowError: the offset leaves datetime's range
        raise UsageError(
            f"--at {text!r} is not an ISO instant; use e.g. 2026-11-27T17:30:00+01:00"
        ) from None
    if not in_range:
        raise UsageError(
            f"--at {text!r} is outside the years 1970 to 2099 that hours are checked for"
        )
    return value


def cmd_hours_check(args: argparse.Namespace) -> int:
    default_tz = None
    if args.tz:
        try:
            default_tz = ZoneInfo(args.tz)
        except (ValueError, OSError, KeyError):
            raise UsageError(
                f"--tz {args.tz!r} is not an IANA time zone such as Europe/Oslo"
            ) from None
    hours = parse_hours(args.spec, default_tz=default_tz)
    at = _instant(args.at, hours.tz)
    locale = args.locale
    state = "check.open" if hours.is_open(at) else "check.closed"
    print(translate(state, locale, when=format_instant(at, hours.tz, locale)))
    if hours.is_open(at):
        closing = hours.next_close(at)
        text = (
            translate("check.never", locale)
            if closing is None
            else _both(closing, hours.tz, locale)
        )
        print(translate("check.closes", locale, when=text))
    else:
        opening = hours.next_open(at)
        text = (
            translate("check.never", locale)
            if opening is None
            else _both(opening, hours.tz, locale)
        )
        print(translate("check.next_open", locale, when=text))
    return 0


def _both(instant: datetime, tz: ZoneInfo, locale: str) -> str:
    return f"{format_instant(instant, tz, locale)} ({instant:%Y-%m-%dT%H:%M:%SZ})"


# -- slack -----------------------------------------------------------------------------------


def cmd_slack_manifest(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import render_manifest

    if args.url is None and not args.socket_mode:
        raise UsageError("give --url https://your.host (HTTP) or --socket-mode")
    try:
        print(render_manifest(args.url, socket_mode=args.socket_mode), end="")
    except ValueError as error:
        raise UsageError(str(error)) from None
    return 0


# -- teams -----------------------------------------------------------------------------------


def cmd_teams_package(args: argparse.Namespace) -> int:
    from adapters.teams.manifest import write_package
    from bot.cli_paths import refuse_precious, refuse_unwritable, write_failed

    settings = Settings.from_env()
    refuse_precious(args.out, "--out", database_url=settings.database_url)
    refuse_unwritable(args.out, "--out", folder_must_exist=False)  # its folder is made
    app_id = args.app_id or settings.microsoft_app_id
    if not app_id:
        raise UsageError("set MICROSOFT_APP_ID (the bot's Azure app id) or pass --app-id")
    try:
        out = write_package(Path(args.out), app_id=app_id, domain=args.domain, version=args.version)
    except OSError as error:
        raise write_failed(args.out, "--out", error) from None
    print(f"wrote {out}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    host = args.domain.split("://")[-1].rstrip("/")
    print(f"the bot's messaging endpoint is https://{host}/api/messages")
    return 0


# -- parser ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, its error line shaped like every other: ``quiet-hours: [SUBCOMMAND: ]why``
    (after the usage), exit code 2. Subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        where = self.prog.removeprefix(PROGRAM).strip()
        self.exit(2, f"{PROGRAM}: {where + ': ' if where else ''}{message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM,
        description="Quiet Hours: a right to disconnect for Slack and Microsoft Teams.",
    )
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="log at DEBUG and show the traceback when a command fails (as LOG_LEVEL=DEBUG)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        return sub

    db_help = "SQLAlchemy database URL (default: DATABASE_URL or ./quiet-hours.db)"

    migrate = add("migrate", cmd_migrate, "Create or upgrade the database schema.")
    migrate.add_argument("--database-url", help=db_help)

    serve = add("serve", cmd_serve, "Run the bot's web server (health, readiness, platforms).")
    serve.add_argument("--database-url", help=db_help)
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on (default: all)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 3000)")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade the schema at start"
    )

    demo = add(
        "demo",
        cmd_demo,
        "Watch a scripted week in a sandbox Slack workspace or Teams tenant "
        "(no credentials, no network).",
    )
    demo.add_argument(
        "--platform",
        choices=("slack", "teams"),
        default="slack",
        help="the sandbox to run the week in (default: slack)",
    )
    demo.add_argument("--database-url", help="default: a new SQLite file in a temp directory")

    export = add(
        "export",
        cmd_export,
        "Everything stored about one workspace (Slack team / Teams tenant) as JSON, texts "
        "decrypted, tokens left out: for its admin (GDPR access and portability).",
    )
    export.add_argument("--workspace", required=True, metavar="ID", help="e.g. T0123ABCD")
    export.add_argument(
        "--platform", choices=["slack", "teams", "sandbox"], help="if ID is on both"
    )
    export.add_argument("--out", metavar="FILE", help="write to FILE (mode 600), not stdout")
    export.add_argument(
        "--force", action="store_true", help="replace --out FILE when it is there already"
    )
    export.add_argument("--database-url", help=db_help)

    add("keygen", cmd_keygen, "Print a new key for QUIET_HOURS_SECRET_KEY.")
    init = add("init", cmd_init, "Write a new QUIET_HOURS_SECRET_KEY to .env if it has none.")
    init.add_argument("--env-file", default=".env", help="file to write (default: .env)")
    rotate = add(
        "rotate-keys",
        cmd_rotate_keys,
        "Re-encrypt stored bodies and tokens with the first key of QUIET_HOURS_SECRET_KEY.",
    )
    rotate.add_argument("--database-url", help=db_help)
    doctor = add(
        "doctor",
        cmd_doctor,
        "Check settings, key, database and platform credentials: one ✓/✗ line each; exit 0 "
        "when all pass, 1 otherwise.",
    )
    doctor.add_argument("--database-url", help=db_help)

    erase = add(
        "erase",
        cmd_erase,
        "Erase every row of one workspace (Slack team / Teams tenant): held messages, first "
        "lines, tokens, people, teams. What uninstalling does; cannot be undone.",
    )
    erase.add_argument("--workspace", required=True, metavar="ID", help="e.g. T0123ABCD")
    erase.add_argument("--platform", choices=["slack", "teams", "sandbox"], help="if ID is on both")
    erase.add_argument(
        "--yes", action="store_true", help="do not ask (scripts); it cannot be undone"
    )
    erase.add_argument("--database-url", help=db_help)

    from bot.cli_simulate import add_arguments as simulate_arguments

    simulate_arguments(
        add(
            "simulate",
            cmd_simulate,
            "Replay a Slack export through a policy: what would have been held, when it would "
            "have landed, labels, digests, off-hours patterns (an HTML report; no message text).",
        )
    )

    policy = commands.add_parser(
        "policy", help="List, show and validate policy presets.", description="Policy presets."
    )
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    listing = policy_commands.add_parser("list", help="List the shipped presets.")
    listing.add_argument("--locale", default="en", choices=["en", "nb"])
    listing.set_defaults(func=cmd_policy_list)
    validate = policy_commands.add_parser(
        "validate", help="Validate preset files (line-numbered errors)."
    )
    validate.add_argument("files", nargs="*", metavar="FILE", help="YAML file or preset name")
    validate.add_argument("--all", action="store_true", help="validate every shipped preset")
    validate.set_defaults(func=cmd_policy_validate)
    show = policy_commands.add_parser("show", help="Print a shipped preset with what it encodes.")
    show.add_argument("name", metavar="NAME")
    show.set_defaults(func=cmd_policy_show)

    hours = commands.add_parser(
        "hours", help="Check working hours written in the hours syntax.", description="Hours."
    )
    hours_commands = hours.add_subparsers(dest="hours_command", metavar="ACTION", required=True)
    check = hours_commands.add_parser(
        "check",
        help="Say whether SPEC is open at an instant and when it next opens or closes.",
        description='Example: quiet-hours hours check "man-fre 8-16 tz Europe/Oslo" '
        "--at 2026-11-27T17:30:00+01:00",
    )
    check.add_argument("spec", metavar="SPEC", help='e.g. "mon-fri 08:00-16:00 tz Europe/Oslo"')
    check.add_argument("--at", metavar="ISO-INSTANT", help="instant to check (default: now)")
    check.add_argument("--tz", help="zone when SPEC names none (default: UTC)")
    check.add_argument("--locale", default="en", choices=["en", "nb"])
    check.set_defaults(func=cmd_hours_check)

    slack = commands.add_parser("slack", help="Slack app setup.", description="Slack app setup.")
    slack_commands = slack.add_subparsers(dest="slack_command", metavar="ACTION", required=True)
    manifest = slack_commands.add_parser(
        "manifest",
        help="Print the Slack app manifest for this server, to paste into api.slack.com/apps.",
        description="Print deploy/slack/manifest.yml with this server's URL filled in, or set "
        "up for Socket Mode (no public URL). Example: quiet-hours slack manifest --url "
        "https://quiet-hours.example.org",
    )
    manifest.add_argument("--url", help="public https:// base URL of this server")
    manifest.add_argument(
        "--socket-mode",
        action="store_true",
        help="events over Socket Mode (SLACK_APP_TOKEN): no request URLs",
    )
    manifest.set_defaults(func=cmd_slack_manifest)

    teams = commands.add_parser(
        "teams", help="Microsoft Teams app package.", description="Microsoft Teams."
    )
    teams_commands = teams.add_subparsers(dest="teams_command", metavar="ACTION", required=True)
    package = teams_commands.add_parser(
        "package",
        help="Build the Teams app zip (manifest and icons) for this bot.",
        description="Build the zip to upload to Teams, with app id and public domain filled in.",
    )
    package.add_argument("--out", default="quiet-hours-teams.zip", help="zip file to write")
    package.add_argument(
        "--domain", required=True, help="public host name of this server, e.g. bot.example.com"
    )
    package.add_argument("--app-id", help="the bot's Microsoft app id (default: MICROSOFT_APP_ID)")
    package.add_argument(
        "--version", default="0.1.0", help="app version (semver; raise it on change)"
    )
    package.set_defaults(func=cmd_teams_package)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (README, "Exit codes").

    A command that cannot start says why in one line on stderr, never with a traceback:
    ``StartupError`` (exit 1, or 2 for ``ConfigError``) and bad input (exit 2) are expected; any
    other exception is shown as one line too (exit 1). ``--debug`` or ``LOG_LEVEL=DEBUG`` adds
    the traceback.
    """
    args = _parser().parse_args(argv)
    env = environment()  # .env too, as every other setting (README, "Configuration")
    level = "DEBUG" if args.debug else level_from(env.get("LOG_LEVEL"))
    configure_logging(level, env.get("LOG_FORMAT") or "text")
    debug = level == "DEBUG"
    try:
        result: int = args.func(args)
    except HoursSyntaxError as error:
        message = error.message(getattr(args, "locale", "en"))
        print(f"{PROGRAM}: {one_line(message)}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"{PROGRAM}: {one_line(str(error))}", file=sys.stderr)
        return 2
    except OutputRefused as error:
        print(f"{PROGRAM}: {one_line(str(error))}", file=sys.stderr)
        return 2
    except StartupError as error:
        return _fail(str(error), error.exit_code, debug=debug)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `quiet-hours demo | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except Exception as error:
        from bot.presets import PresetError
        from bot.storage.crypto import DecryptionError

        if isinstance(error, PresetError | DecryptionError | ValueError):
            return _fail(str(error), 2, debug=debug)
        hint = "" if debug else " (run `quiet-hours --debug …` to see the traceback)"
        what = one_line(str(error)) or "no details"
        return _fail(f"unexpected {type(error).__name__}: {what}{hint}", 1, debug=debug)
    return result


def _fail(message: str, code: int, *, debug: bool) -> int:
    """Print ``message`` as the one line on stderr (after the traceback, with ``--debug``)."""
    if debug:
        traceback.print_exc()
    print(f"{PROGRAM}: {one_line(message, limit=1000)}", file=sys.stderr)
    return code

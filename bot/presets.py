"""Policy presets: YAML team-policy templates in ``policies/``, loaded with line-numbered checks."""

# A preset file is one YAML mapping; unknown keys are errors, (*) marks required keys.
#
#   name: norway-aml                 (*) the file name without .yaml
#   title: {en: "...", nb: "..."}    (*) display names; en required, nb optional
#   encodes: |                       (*) what the preset encodes, in plain words
#   sources:                         (*) at least one {cite: "statute, section", url: "https://…",
#                                    rules: [quiet_night]} — rules: the rule codes it grounds
#   timezone: Europe/Oslo            (*) IANA zone of the default hours
#   hours: "mon-fri 08:00-16:00"     (*) default hours in the human syntax (no tz or holidays)
#   holidays: {country: NO, subdivision: null, eve_from: "18:00", major_eve_from: "15:00",
#              sunday_is_rest_day: true}             every key optional; see HolidayRule
#   mode: hold                       (*) hold | label | off
#   allowed_modes: [hold]            default all three; must include mode
#   mode_restriction: "..."          why (cite it); required exactly when modes are left out
#   urgent: {who: leaders, people: []}               anyone | leaders | listed | nobody
#   digest: {weekday: null, at: null, target: channel}   weekday mon..sun, or null for the
#                                    first working morning after a weekend or holiday
#   rules: {max_daily_hours: 9, max_weekly_hours: 40, min_daily_rest_hours: 11,
#           min_weekly_rest_hours: 35, quiet_night: "21:00-06:00",
#           hard: [quiet_night, sunday_rest, public_holidays]}
#                                    every key optional; the default hours must respect them.
#                                    Team hours breaking a rule get a warning, or are refused
#                                    when the rule is listed in `hard`; each hard rule must be
#                                    grounded by a source's `rules`, which the refusal cites.
#                                    Rule codes: max_daily_hours, max_weekly_hours, daily_rest
#                                    (min_daily_rest_hours), weekly_rest (min_weekly_rest_hours),
#                                    quiet_night, sunday_rest (holidays.sunday_is_rest_day, from
#                                    holidays.eve_from on Saturday), public_holidays (hours may
#                                    not name another country's holidays than holidays.country)
#
# Times may be unquoted (18:00), and codes are read as written: NO stays "NO", not false.

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from datetime import time
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import yaml

from bot.domain.calendar import HolidayRule, UnknownCountryError, validate_country
from bot.domain.hours import WorkingHours
from bot.domain.hours_syntax import HoursSyntaxError, parse_hours
from bot.domain.policy import DigestSchedule, DigestTarget, Mode, TeamPolicy, UrgentRule, UrgentWho
from bot.domain.rest_rules import RULE_CODES, RestRules, RuleCode, RuleViolation, check
from bot.i18n import normalize_locale

__all__ = [
    "Preset",
    "PresetError",
    "Problem",
    "Source",
    "list_presets",
    "load_preset",
    "load_preset_file",
    "preset_text",
]

_REQUIRED = ("name", "title", "encodes", "sources", "timezone", "hours", "mode")
_OPTIONAL = ("holidays", "allowed_modes", "mode_restriction", "urgent", "digest", "rules")
_HOLIDAY_KEYS = ("country", "subdivision", "eve_from", "major_eve_from", "sunday_is_rest_day")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LIMITS = {"max_daily_hours": 24.0, "max_weekly_hours": 168.0}  # the most that makes sense
_LIMITS |= {"min_daily_rest_hours": 24.0, "min_weekly_rest_hours": 168.0}
_NULL = "tag:yaml.org,2002:null"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_CLOCK = r"([01]?\d|2[0-3]):([0-5]\d)"
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based; None when it is about the file as a whole
    message: str


class PresetError(Exception):
    """A preset could not be loaded; ``str()`` lists ``FILE:LINE: message`` lines."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        at = [self.source if p.line is None else f"{self.source}:{p.line}" for p in self.problems]
        return "\n".join(
            f"{where}: {p.message}" for where, p in zip(at, self.problems, strict=True)
        )


@dataclass(frozen=True)
class Source:
    """A legal source: its citation, where to read it, and the rule codes it grounds."""

    cite: str
    url: str
    rules: frozenset[RuleCode] = frozenset()


@dataclass(frozen=True)
class Preset:
    """A validated preset: the defaults and limits a team policy starts from."""

    name: str
    title: dict[str, str] = field(hash=False)
    encodes: str
    sources: tuple[Source, ...]
    timezone: ZoneInfo
    hours: WorkingHours
    holidays: HolidayRule
    mode: Mode
    allowed_modes: frozenset[Mode]
    mode_restriction: str
    urgent: UrgentRule
    digest: DigestSchedule
    rules: RestRules | None
    hard_rules: frozenset[RuleCode] = frozenset()  # broken -> hours refused, not only warned

    def title_in(self, locale: str | None = None) -> str:
        return self.title.get(normalize_locale(locale), self.title["en"])

    def parse_hours(self, text: str) -> WorkingHours:
        """Team hours in the human syntax, in the preset's zone and with its days off."""
        return parse_hours(text, default_tz=self.timezone, days_off=self.holidays)

    def days_off_for(self, hours: WorkingHours) -> HolidayRule:
        """The preset's eve and Sunday rules (the law it encodes) replace those of custom hours;
        the hours keep their own holiday place when they name one (a Perth team under
        australia-s333m keeps WA holidays) and their personal days off."""
        own = hours.days_off
        place = (own.country, own.subdivision) if own.country else None
        country, subdivision = place or (self.holidays.country, self.holidays.subdivision)
        return replace(
            self.holidays,
            country=country,
            subdivision=subdivision,
            personal_days_off=own.personal_days_off | self.holidays.personal_days_off,
        )

    def to_policy(
        self,
        team_name: str,
        *,
        leaders: frozenset[str] = frozenset(),
        watched_channels: frozenset[str] = frozenset(),
        hours: WorkingHours | None = None,
        mode: Mode | None = None,
    ) -> TeamPolicy:
        """A team policy from this preset; a mode it refuses raises ModeNotAllowedError.

        Custom ``hours`` keep their zone, take days off as in :meth:`days_off_for`, and are not
        refused for breaking ``rules``: show :meth:`check_hours` to the leader instead.
        """
        team_hours = self.hours if hours is None else hours.with_days_off(self.days_off_for(hours))
        return TeamPolicy(
            name=team_name,
            hours=team_hours,
            mode=self.mode if mode is None else mode,
            urgent=self.urgent,
            digest=self.digest,
            watched_channels=frozenset(watched_channels),
            leaders=frozenset(leaders),
            preset=self.name,
            allowed_modes=self.allowed_modes,
            mode_restriction_reason=self.mode_restriction,
        )

    def check_hours(self, hours: WorkingHours) -> list[RuleViolation]:
        """Every rule of this preset that team ``hours`` break (hard and soft), stable order."""
        found = [] if self.rules is None else check(hours, self.rules)
        named, ours = hours.days_off.country, self.holidays.country
        if named is not None and ours is not None and named != ours:
            found.append(RuleViolation("public_holidays", 0.0, 0.0, country=ours, named=named))
        return found

    def hard_violations(self, hours: WorkingHours) -> list[RuleViolation]:
        """The broken rules that refuse ``hours`` outright (see ``hard`` in the file format)."""
        return [v for v in self.check_hours(hours) if v.code in self.hard_rules]

    def sources_for(self, code: RuleCode) -> tuple[Source, ...]:
        """The sources that ground rule ``code``; every hard rule has at least one."""
        return tuple(source for source in self.sources if code in source.rules)


# -- reading YAML nodes ----------------------------------------------------------------------


def _scalar(node: yaml.Node | None) -> str | None:
    """A scalar's text as written (so NO is "NO" and 18:00 is "18:00"); None for null or other."""
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
        return str(node.value)
    return None


def _given(node: yaml.Node) -> bool:
    return not (isinstance(node, yaml.ScalarNode) and node.tag == _NULL)


def _clock(text: str | None) -> time | None:
    match = re.fullmatch(_CLOCK, (text or "").strip(), re.ASCII)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _options(kind: type[Mode] | type[UrgentWho] | type[DigestTarget]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class _Reader:
    """Reads composed YAML nodes, noting each problem at its line and carrying on."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, message))

    def fields(
        self,
        node: yaml.Node | None,
        where: str,
        required: tuple[str, ...],
        optional: tuple[str, ...],
    ) -> dict[str, yaml.Node]:
        """A mapping's values by key, null values left out; unknown and missing keys reported."""
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping of keys to values")
            return {}
        known, found, seen = required + optional, {}, set()
        for key, value in node.value:
            name = _scalar(key) or "?"
            if name not in known:
                self.fail(key, f"unknown key {name!r} in {where}; known: {', '.join(known)}")
            elif name in seen:
                self.fail(key, f"{name!r} is given twice in {where}")
            elif name in required and not _given(value):
                self.fail(key, f"{name!r} in {where} needs a value")
            elif _given(value):
                found[name] = value
            seen.add(name)
        for name in required:
            if name not in seen:
                self.fail(node, f"{where} is missing the required key {name!r}")
        return found

    def items(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode) and node.value:
            return list(node.value)
        self.fail(node, f"{where} must be a list with at least one entry")
        return []

    def text(self, node: yaml.Node | None, where: str) -> str:
        value = (_scalar(node) or "").strip()
        if node is not None and not value:
            self.fail(node, f"{where} must be text")
        return value

    def choice(self, node: yaml.Node | None, where: str, options: tuple[str, ...]) -> str | None:
        value = _scalar(node)
        if node is not None and value not in options:
            self.fail(node, f"{where} must be one of {', '.join(options)}, not {value!r}")
            return None
        return value

    def clock(self, node: yaml.Node, where: str) -> time | None:
        value = _clock(_scalar(node))
        if value is None:
            self.fail(node, f"{where} must be a time like 18:00, not {_scalar(node)!r}")
        return value

    def number(self, node: yaml.Node, where: str, most: float) -> float | None:
        with contextlib.suppress(ValueError):
            value = float(_scalar(node) or "nan") if node.tag in _NUMBER_TAGS else None
            if value is not None and 0 < value <= most:
                return value
        self.fail(node, f"{where} must be a number of hours above 0 and at most {most:g}")
        return None


# -- the sections ----------------------------------------------------------------------------


def _zone(r: _Reader, node: yaml.Node | None) -> ZoneInfo | None:
    name = r.text(node, "timezone")
    if node is None or not name:
        return None
    if name in _zones():
        with contextlib.suppress(ValueError, OSError):  # listed but unreadable: unknown
            return ZoneInfo(name)
    r.fail(node, f"timezone {name!r} is not an IANA time zone such as Europe/Oslo")
    return None


def _holidays(r: _Reader, node: yaml.Node | None) -> HolidayRule:
    found = r.fields(node, "holidays", (), _HOLIDAY_KEYS)
    country = r.text(found.get("country"), "holidays.country").upper() or None
    region = r.text(found.get("subdivision"), "holidays.subdivision").upper() or None
    try:
        if country is not None:
            validate_country(country)
    except UnknownCountryError:
        r.fail(found["country"], f"holidays.country: no holiday calendar for {country!r}")
        country = None
    try:
        if country is not None and region is not None:
            validate_country(country, region)
    except UnknownCountryError:
        r.fail(
            found["subdivision"], f"holidays.subdivision: {region!r} is not a region of {country}"
        )
        region = None
    if region is not None and country is None:
        r.fail(found["subdivision"], "holidays.subdivision needs a known holidays.country")
    eves = {
        key: r.clock(found[key], f"holidays.{key}") for key in _HOLIDAY_KEYS[2:4] if key in found
    }
    sunday = r.choice(
        found.get("sunday_is_rest_day"), "holidays.sunday_is_rest_day", ("true", "false")
    )
    return HolidayRule(
        country=country,
        subdivision=region if country else None,
        eve_from=eves.get("eve_from"),
        major_eve_from=eves.get("major_eve_from"),
        sunday_is_rest_day=sunday == "true",
    )


def _modes(r: _Reader, top: dict[str, yaml.Node]) -> tuple[Mode, frozenset[Mode], str]:
    mode = Mode(r.choice(top.get("mode"), "mode", _options(Mode)) or Mode.HOLD)
    allowed, node = frozenset(Mode), top.get("allowed_modes")
    if node is not None:
        names = [
            r.choice(n, "allowed_modes", _options(Mode)) for n in r.items(node, "allowed_modes")
        ]
        allowed = frozenset(Mode(name) for name in names if name) or allowed
        if mode not in allowed:
            r.fail(node, f"allowed_modes must include the preset's own mode {mode.value!r}")
        if allowed != frozenset(Mode) and "mode_restriction" not in top:
            left_out = ", ".join(m.value for m in Mode if m not in allowed)
            r.fail(node, f"allowed_modes leaves out {left_out}: say why in mode_restriction")
    if "mode_restriction" in top and allowed == frozenset(Mode):
        r.fail(top["mode_restriction"], "mode_restriction is only for presets that restrict modes")
    return mode, allowed, r.text(top.get("mode_restriction"), "mode_restriction")


def _urgent(r: _Reader, node: yaml.Node | None) -> UrgentRule:
    found = r.fields(node, "urgent", ("who",), ("people",))
    who = r.choice(found.get("who"), "urgent.who", _options(UrgentWho)) or UrgentWho.ANYONE
    listed = found.get("people")
    people = (
        [r.text(p, "urgent.people") for p in r.items(listed, "urgent.people")] if listed else []
    )
    return UrgentRule(UrgentWho(who), frozenset(people))


def _digest(r: _Reader, node: yaml.Node | None) -> DigestSchedule:
    found = r.fields(node, "digest", (), ("weekday", "at", "target"))
    day = r.choice(found.get("weekday"), "digest.weekday", _DAYS)
    target = r.choice(found.get("target"), "digest.target", _options(DigestTarget))
    return DigestSchedule(
        weekday=_DAYS.index(day) if day else None,
        at=r.clock(found["at"], "digest.at") if "at" in found else None,
        target=DigestTarget(target or DigestTarget.CHANNEL),
    )


def _codes(r: _Reader, node: yaml.Node, where: str) -> frozenset[RuleCode]:
    names = [r.choice(item, where, RULE_CODES) for item in r.items(node, where)]
    return frozenset(code for code in RULE_CODES if code in names)


def _rules(
    r: _Reader, node: yaml.Node | None, days_off: HolidayRule
) -> tuple[RestRules | None, frozenset[RuleCode]]:
    """The rules, and which of them are hard."""
    if node is None:
        return None, frozenset()
    found = r.fields(node, "rules", (), (*_LIMITS, "quiet_night", "hard"))
    limits = {
        key: r.number(found[key], f"rules.{key}", most)
        for key, most in _LIMITS.items()
        if key in found
    }
    night = None
    if "quiet_night" in found:
        start, _, end = (_scalar(found["quiet_night"]) or "").partition("-")
        first, last = _clock(start), _clock("00:00" if end.strip() == "24:00" else end)
        if first is None or last is None or first == last:
            r.fail(found["quiet_night"], "rules.quiet_night must be a span like 21:00-06:00")
        else:
            night = (first, last)
    sunday = None
    if days_off.sunday_is_rest_day:
        sunday = (5, days_off.eve_from) if days_off.eve_from is not None else (6, time(0))
    hard = _codes(r, found["hard"], "rules.hard") if "hard" in found else frozenset()
    return RestRules(**limits, quiet_night=night, sunday_rest_from=sunday), hard


_CHECKED_BY = {
    "max_daily_hours": "rules.max_daily_hours",
    "max_weekly_hours": "rules.max_weekly_hours",
    "daily_rest": "rules.min_daily_rest_hours",
    "weekly_rest": "rules.min_weekly_rest_hours",
    "quiet_night": "rules.quiet_night",
    "sunday_rest": "holidays.sunday_is_rest_day: true",
    "public_holidays": "holidays.country",
}


def _check_hard(
    r: _Reader,
    node: yaml.Node | None,
    hard: frozenset[RuleCode],
    rules: RestRules | None,
    days_off: HolidayRule,
    sources: list[Source],
) -> None:
    """Each hard rule is one the preset checks, and a source grounds it (the refusal cites it)."""
    if node is None or not hard:
        return
    checked = {
        "max_daily_hours": rules is not None and rules.max_daily_hours is not None,
        "max_weekly_hours": rules is not None and rules.max_weekly_hours is not None,
        "daily_rest": rules is not None and rules.min_daily_rest_hours is not None,
        "weekly_rest": rules is not None and rules.min_weekly_rest_hours is not None,
        "quiet_night": rules is not None and rules.quiet_night is not None,
        "sunday_rest": days_off.sunday_is_rest_day,
        "public_holidays": days_off.country is not None,
    }
    for code in sorted(hard):
        if not checked[code]:
            r.fail(node, f"hard rule {code!r} needs {_CHECKED_BY[code]}")
        if not any(code in source.rules for source in sources):
            r.fail(node, f"hard rule {code!r} needs a source that lists it in its rules")


def _hours(
    r: _Reader, node: yaml.Node | None, zone: ZoneInfo | None, days_off: HolidayRule
) -> WorkingHours | None:
    text = r.text(node, "hours")
    if node is None or not text:
        return None
    try:
        hours = parse_hours(text, default_tz=zone or ZoneInfo("UTC"), days_off=days_off)
    except HoursSyntaxError as error:
        r.fail(node, f"hours: {error.message('en')}")
        return None
    if (zone is not None and hours.tz != zone) or hours.days_off != days_off:
        r.fail(node, "hours must not name a zone or holidays: use timezone and holidays")
    return hours


def _build(root: yaml.Node, expected_name: str) -> tuple[Preset | None, list[Problem]]:
    r = _Reader()
    top = r.fields(root, "the preset", _REQUIRED, _OPTIONAL)
    name = r.text(top.get("name"), "name")
    if name and name != expected_name:
        r.fail(top["name"], f"name {name!r} must equal the file name {expected_name!r}")
    title_nodes = r.fields(top.get("title"), "title", ("en",), ("nb",))
    title = {key: r.text(node, f"title.{key}") for key, node in title_nodes.items()}
    sources = []
    for index, item in enumerate(r.items(top["sources"], "sources") if "sources" in top else [], 1):
        entry = r.fields(item, f"source {index}", ("cite", "url"), ("rules",))
        cite, url = r.text(entry.get("cite"), "cite"), r.text(entry.get("url"), "url")
        if url and not _URL.fullmatch(url):
            r.fail(entry["url"], f"url {url!r} must be a web address (https://...)")
        grounds = _codes(r, entry["rules"], "rules") if "rules" in entry else frozenset()
        sources.append(Source(cite, url, grounds))
    encodes = r.text(top.get("encodes"), "encodes")
    zone, days_off = _zone(r, top.get("timezone")), _holidays(r, top.get("holidays"))
    modes, (rules, hard) = _modes(r, top), _rules(r, top.get("rules"), days_off)
    _check_hard(r, top.get("rules"), hard, rules, days_off, sources)
    urgent, digest = _urgent(r, top.get("urgent")), _digest(r, top.get("digest"))
    hours = _hours(r, top.get("hours"), zone, days_off)
    for violation in check(hours, rules) if hours is not None and rules is not None else []:
        r.fail(top["hours"], f"hours break the preset's own rules: {violation.message('en')}")
    if r.problems or hours is None or zone is None:
        return None, r.problems
    fields = (name, title, encodes, tuple(sources), zone, hours, days_off, *modes, urgent, digest)
    return Preset(*fields, rules, hard), []


# -- loading ---------------------------------------------------------------------------------


def _load(data: bytes, source: str, expected_name: str) -> Preset:
    def error(line: int | None, message: str) -> PresetError:
        return PresetError(source, [Problem(line, message)])

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(data[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise error(line, f"not valid YAML: character {exc.character!r} is not allowed") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise error(None, f"not valid YAML: {type(exc).__name__}") from None
    if root is None:
        raise error(1, "the file is empty: a preset is a mapping that starts with name:")
    preset, problems = _build(root, expected_name)
    if preset is None:
        raise PresetError(source, sorted(problems, key=lambda p: p.line or 0))
    return preset


def _catalog() -> dict[str, Traversable]:
    files = resources.files("policies").iterdir()
    return {f.name.removesuffix(".yaml"): f for f in files if f.name.endswith(".yaml")}


def _entry(name: str) -> Traversable:
    entry = _catalog().get(name)
    if entry is None:
        known = ", ".join(list_presets())
        raise PresetError(name, [Problem(None, f"no preset named {name!r}; available: {known}")])
    return entry


def list_presets() -> list[str]:
    """The names of the shipped presets, sorted."""
    return sorted(_catalog())


def preset_text(name: str) -> str:
    """A shipped preset's file, comments and all."""
    return _entry(name).read_text(encoding="utf-8")


@lru_cache(maxsize=64)
def load_preset(name: str) -> Preset:
    """A shipped preset by name; an unknown name lists the available ones."""
    return _load(_entry(name).read_bytes(), f"policies/{name}.yaml", name)


def load_preset_file(path: str | PathLike[str]) -> Preset:
    """A preset from any file; its ``name`` must match the file name."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PresetError(str(file), [Problem(None, f"cannot read it: {exc.strerror}")]) from None
    return _load(data, str(file), file.stem)

"""Catalog upkeep for developers: extract the keys the code names, update the ``.po`` files,
compile them, and check them (``make i18n-extract``, ``i18n-update``, ``i18n-compile``,
``i18n-check``; ``python -m bot.i18n.tooling --help``).

The ``msgid`` is a key (``cmd.hours.saved``), not English text, and some keys are built at run time
(``f"cmd.mode.{mode}"``), which extraction cannot see. So unlike ``pybabel update``, updating
never drops an entry: the template is the keys found in the code *plus* every key the English
catalog already has, and a key the code no longer names is only reported.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import write_po

from bot.i18n.catalogs import DOMAIN, LOCALE_DIR, compile_po, read_catalog

__all__ = ["SOURCE_DIRS", "Usage", "check", "extract", "main", "placeholder_names", "update"]

ROOT = LOCALE_DIR.parents[2]
SOURCE_DIRS = ("bot", "adapters")
LOCALES = ("en", "nb")
# the functions whose first argument is a message key (adapters/teams/texts.py: text, text_plural)
SINGULAR_KEYWORDS = ("translate", "text")
PLURAL_KEYWORDS = ("translate_plural", "text_plural")
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")
WIDTH = 0  # no wrapping: one line per message reads, greps and merges best


@dataclass
class Usage:
    """The keys the code names literally: key → places (``path:line``); ``plural``: those
    looked up with ``translate_plural``; ``uncounted``: those looked up with ``translate``
    without a ``count=`` (which cannot pick a plural form)."""

    places: dict[str, list[str]] = field(default_factory=dict)
    plural: set[str] = field(default_factory=set)
    uncounted: set[str] = field(default_factory=set)
    dynamic: int = 0  # lookups whose key is built at run time (f-strings)


def placeholder_names(text: str) -> set[str]:
    """The ``{name}`` fields of a message (``{{`` is a literal brace)."""
    return set(FIELD.findall(text.replace("{{", "").replace("}}", "")))


def _keys(node: ast.expr) -> list[str] | None:
    """The literal key(s) an argument can be: ``"a.b"`` or ``"a.b" if x else "c.d"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def extract(root: Path = ROOT) -> Usage:
    """Every literal key passed to ``translate``/``text`` (singular) or ``translate_plural``,
    read from the syntax tree of each module under :data:`SOURCE_DIRS`."""
    usage = Usage()
    for directory in SOURCE_DIRS:
        for path in sorted((root / directory).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name not in SINGULAR_KEYWORDS + PLURAL_KEYWORDS:
                    continue
                keys = _keys(node.args[0])
                if keys is None:
                    usage.dynamic += isinstance(node.args[0], ast.JoinedStr)
                    continue
                for key in keys:
                    if not KEY.match(key):
                        continue  # e.g. SQLAlchemy's text("SELECT 1")
                    place = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    usage.places.setdefault(key, []).append(place)
                    if name in PLURAL_KEYWORDS:
                        usage.plural.add(key)
                    elif not any(kw.arg == "count" for kw in node.keywords):
                        usage.uncounted.add(key)
    return usage


def _key(message: Message) -> str:
    """The key of an entry (a plural entry's id is ``(key, key)``); ``""`` for the header."""
    return message.id if isinstance(message.id, str) else str(message.id[0])


def _forms(message: Message) -> list[str]:
    """The text of an entry: one form, or one per plural form."""
    if isinstance(message.string, str):
        return [message.string]
    return [str(form or "") for form in message.string or ()]


def _template(usage: Usage, english: Catalog) -> Catalog:
    template = Catalog(domain=DOMAIN, project="Quiet Hours", fuzzy=False)
    keys = [*(_key(m) for m in english if m.id), *sorted(usage.places)]
    for key in dict.fromkeys(keys):
        in_english = english.get(key)
        plural = key in usage.plural or (in_english is not None and in_english.pluralizable)
        places = [
            (p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in usage.places.get(key, [])
        ]
        template.add((key, key) if plural else key, locations=places)
    return template


def update(root: Path = LOCALE_DIR, usage: Usage | None = None) -> list[str]:
    """Add every key the code names to both catalogs (empty, to be written), turn an entry into
    a plural one (or back) when the code's call says so; keep everything else. Returns what
    changed, one line each."""
    usage = usage if usage is not None else extract()
    template = _template(usage, read_catalog("en", root))
    changes: list[str] = []
    for locale in LOCALES:
        catalog = read_catalog(locale, root)
        for wanted in template:
            key = _key(wanted)
            if not key:
                continue
            have = catalog.get(key)
            if have is None:
                empty = ("",) * catalog.num_plurals if wanted.pluralizable else ""
                catalog[key] = Message(wanted.id, empty)
                changes.append(f"{locale}: added {key}")
            elif have.pluralizable != wanted.pluralizable:
                first = _forms(have)[0]
                have.id = wanted.id
                have.string = (first,) * catalog.num_plurals if wanted.pluralizable else first
                have.flags.add("fuzzy")
                kind = "plural" if wanted.pluralizable else "singular"
                changes.append(f"{locale}: {key} is now {kind} (marked fuzzy: write its forms)")
        with (root / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("wb") as out:
            write_po(out, catalog, width=WIDTH, no_location=True)
    return changes


def check(root: Path = LOCALE_DIR, usage: Usage | None = None) -> list[str]:
    """Everything wrong with the catalogs, one line each (empty when they are sound): a key in one
    language only, an empty or fuzzy translation, placeholders that differ from the English
    ones, a plural entry without all its forms, a key the code names that no catalog has, and a
    key used as plural in the code but singular in the catalog (or the other way round)."""
    catalogs = {locale: read_catalog(locale, root) for locale in LOCALES}
    english = catalogs["en"]
    keys = {locale: {_key(m) for m in c if m.id} for locale, c in catalogs.items()}
    problems: list[str] = []
    for locale, catalog in catalogs.items():
        for other in LOCALES:
            for key in sorted(keys[other] - keys[locale]):
                problems.append(f"{locale}: {key} is missing (it is in {other})")
        for message in catalog:
            key = _key(message)
            if not key:
                continue
            forms = _forms(message)
            if "fuzzy" in message.flags:
                problems.append(f"{locale}: {key} is marked fuzzy (check it, then drop the flag)")
            if not all(form.strip() for form in forms):
                problems.append(f"{locale}: {key} has no text")
            if message.pluralizable and len(forms) != catalog.num_plurals:
                problems.append(f"{locale}: {key} needs {catalog.num_plurals} plural forms")
            source = english.get(key)
            if source is None:
                continue
            if source.pluralizable != message.pluralizable:
                problems.append(f"{locale}: {key} is plural in one language only")
                continue
            expected = set().union(*(placeholder_names(f) for f in _forms(source)))
            for form in forms:
                names = placeholder_names(form)
                # a singular form may say "one" instead of {count}; nothing else may be missing
                if names - expected or expected - names - {"count"}:
                    problems.append(
                        f"{locale}: {key} uses {sorted(names)}, English uses {sorted(expected)}"
                    )
    usage = usage if usage is not None else extract()
    for key, places in sorted(usage.places.items()):
        entry = english.get(key)
        if entry is None:
            problems.append(f"code: {key} is not in the catalogs ({places[0]})")
        elif entry.pluralizable and key in usage.uncounted:
            problems.append(
                f"code: {key} is a plural entry looked up without a count ({places[0]})"
            )
        elif not entry.pluralizable and key in usage.plural:
            problems.append(f"code: {key} is looked up with translate_plural but is singular")
    return problems


def _write_template(usage: Usage, out: Path) -> None:
    with out.open("wb") as target:
        write_po(target, _template(usage, read_catalog("en")), width=WIDTH, omit_header=False)


def main(argv: list[str] | None = None) -> int:
    """The ``make i18n-*`` targets. Exit status 1 when ``check`` finds problems."""
    parser = argparse.ArgumentParser(prog="python -m bot.i18n.tooling", description=__doc__)
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    args = parser.parse_args(argv)
    if args.command == "compile":
        for locale in LOCALES:
            catalog = read_catalog(locale)
            done = sum(1 for m in catalog if m.id and all(_forms(m)) and not m.fuzzy)
            size = len(compile_po(catalog))
            print(f"{locale}: {done} of {len(catalog)} messages translated ({size} bytes compiled)")
        return 0
    usage = extract()
    if args.command == "extract":
        out = LOCALE_DIR / f"{DOMAIN}.pot"
        _write_template(usage, out)
        named, dynamic = len(usage.places), usage.dynamic
        print(f"{out}: {named} keys named in the code, {dynamic} lookups build theirs at run time")
        return 0
    if args.command == "update":
        for line in update(usage=usage) or ["nothing to add"]:
            print(line)
    problems = check(usage=usage)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

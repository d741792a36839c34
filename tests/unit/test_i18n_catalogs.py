"""The gettext catalogs (bot/i18n/locale/*/LC_MESSAGES/messages.po): every message in both
languages with the same placeholders, every key the code names present, and the checker itself
catches what it must (a key in one language only, a placeholder that differs, a lost plural)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import write_po

from bot.i18n.catalogs import LOCALE_DIR, load_translations, read_catalog
from bot.i18n.tooling import Usage, check, extract, update


def test_the_catalogs_are_complete_and_consistent() -> None:
    assert check() == []


def test_the_code_names_its_keys_where_the_check_can_see_them() -> None:
    usage = extract()
    assert "cmd.hours.saved" in usage.places
    # a conditional key: both branches are seen
    assert {"held.sent_now", "held.gone"} <= set(usage.places)


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    shutil.copytree(LOCALE_DIR, tmp_path / "locale")
    return tmp_path / "locale"


def _edit(root: Path, locale: str, message: Message) -> None:
    catalog = read_catalog(locale, root)
    key = message.id if isinstance(message.id, str) else message.id[0]
    if key in catalog:
        del catalog[key]  # Catalog.__setitem__ would merge into the old entry, keeping its text
    catalog[key] = message
    with (root / locale / "LC_MESSAGES" / "messages.po").open("wb") as out:
        write_po(out, catalog, width=0)


def test_a_key_in_one_language_only_is_caught(catalogs: Path) -> None:
    _edit(catalogs, "en", Message("cmd.new_thing", "A new thing"))
    assert check(catalogs, Usage()) == ["nb: cmd.new_thing is missing (it is in en)"]


def test_a_placeholder_that_differs_is_caught(catalogs: Path) -> None:
    _edit(catalogs, "nb", Message("cmd.hours.saved", "Lagret: `{spek}`"))
    assert check(catalogs, Usage()) == ["nb: cmd.hours.saved uses ['spek'], English uses ['spec']"]


def test_an_empty_translation_is_caught_and_falls_back_to_english(catalogs: Path) -> None:
    _edit(catalogs, "nb", Message("cmd.working", ""))
    assert check(catalogs, Usage()) == ["nb: cmd.working has no text"]
    # compiled, the empty entry is left out, so the chain falls back to English
    assert load_translations("nb", catalogs).gettext("cmd.working") == "cmd.working"


def test_a_key_the_code_names_but_no_catalog_has_is_caught(catalogs: Path) -> None:
    usage = Usage(places={"cmd.not_written_yet": ["bot/x.py:1"]})
    assert check(catalogs, usage) == [
        "code: cmd.not_written_yet is not in the catalogs (bot/x.py:1)"
    ]


def test_update_adds_new_keys_to_both_catalogs_and_keeps_the_rest(catalogs: Path) -> None:
    before = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog("en", catalogs)}
    usage = Usage(places={"cmd.brand_new": ["bot/x.py:1"], "digest.count": ["bot/y.py:2"]})
    usage.plural.add("digest.count")
    changes = update(catalogs, usage)
    assert "en: added cmd.brand_new" in changes and "nb: added digest.count" in changes
    for locale in ("en", "nb"):
        catalog = read_catalog(locale, catalogs)
        assert before <= {m.id if isinstance(m.id, str) else m.id[0] for m in catalog}
        assert catalog["digest.count"].pluralizable
        assert catalog["digest.count"].string == ("", "")
    # until someone writes them, the check says so
    assert "en: cmd.brand_new has no text" in check(catalogs, usage)


def test_a_plural_entry_looked_up_without_a_count_is_caught(catalogs: Path) -> None:
    usage = Usage(places={"digest.more": ["bot/x.py:3"]}, uncounted={"digest.more"})
    assert check(catalogs, usage) == [
        "code: digest.more is a plural entry looked up without a count (bot/x.py:3)"
    ]
    wrong = Usage(places={"cmd.working": ["bot/x.py:4"]}, plural={"cmd.working"})
    assert check(catalogs, wrong) == [
        "code: cmd.working is looked up with translate_plural but is singular"
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["i18n-extract", "i18n-update", "i18n-compile", "i18n-check"])
def test_make_has_the_catalog_targets_the_readme_names(target: str) -> None:
    root = LOCALE_DIR.parents[2]
    planned = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", target],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"-m bot.i18n.tooling {target.removeprefix('i18n-')}" in planned
    assert f"make {target}" in (root / "README.md").read_text(encoding="utf-8")

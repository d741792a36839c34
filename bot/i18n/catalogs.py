"""The gettext catalogs on disk: ``locale/<lang>/LC_MESSAGES/messages.po`` and its ``.mo``.

The ``.po`` files are the source (edited by hand, kept in git). A built package (wheel, image)
carries only the ``.mo`` files that the build compiles (``setup.py``); a source checkout (tests,
``pip install -e .``) has the ``.po`` files and reads them directly, compiled in memory once per
process, so what you edit is what you read, with no compile step and no stale ``.mo``.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DOMAIN", "LOCALE_DIR", "compile_po", "load_translations", "read_catalog"]

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).with_name("locale")


def _directory(locale: str, root: Path) -> Path:
    return root / locale / "LC_MESSAGES"


def read_catalog(locale: str, root: Path = LOCALE_DIR) -> Catalog:
    """The parsed ``.po`` of ``locale``. Raises ``FileNotFoundError`` in an installed package."""
    with (_directory(locale, root) / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def compile_po(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of ``catalog``; untranslated (empty) and fuzzy entries are left out,
    so a lookup falls back to English for them."""
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def load_translations(locale: str, root: Path = LOCALE_DIR) -> Translations:
    """The translations of ``locale``: the ``.po`` when present (a source checkout), else the
    ``.mo`` a build compiled, without fallback (a fresh object on each call: cache it).
    Raises ``FileNotFoundError`` when neither exists."""
    directory = _directory(locale, root)
    if (directory / f"{DOMAIN}.po").exists():
        data = compile_po(read_catalog(locale, root))
    else:
        data = (directory / f"{DOMAIN}.mo").read_bytes()
    return Translations(BytesIO(data), domain=DOMAIN)

"""Build hook: compile the gettext catalogs (``bot/i18n/locale/*/LC_MESSAGES/messages.po``) into
the ``.mo`` files the package reads at run time, so they ship in every wheel (and so in the
image). Everything else about the package is in pyproject.toml.

An editable install (``pip install -e .``) compiles nothing: the source checkout reads the ``.po``
files directly (bot/i18n/catalogs.py).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = Path("bot", "i18n", "locale")


class build_py_with_catalogs(build_py):
    """``build_py``, then ``messages.po`` → ``messages.mo`` beside it in the build directory."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po")):
            mo = Path(self.build_lib, po.with_suffix(".mo"))
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name, abort_invalid=True)
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=False)
            self.announce(f"compiled {po} -> {mo}", level=2)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        compiled = [
            str(Path(self.build_lib, po.with_suffix(".mo")))
            for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po"))
        ]
        return [*super().get_outputs(include_bytecode), *compiled]


setup(cmdclass={"build_py": build_py_with_catalogs})

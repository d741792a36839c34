"""The published specs and captured payloads the tests check against (``shared/external``).

They are not part of this repository (their licences differ): they lie beside the checkout
(``../shared``, as in CI) or where ``QH_SHARED_DIR`` points. Every test that reads them does so
through ``external()``, never at import time, so a clone without them still collects and runs:
a test that needs a missing file is skipped, saying which file and how to get it. CI sets
``QH_REQUIRE_SHARED=1``, which turns that skip into a failure, so the checks always run there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_ENV = "QH_REQUIRE_SHARED"


def shared_dir() -> Path:
    """``…/shared/external``: ``$QH_SHARED_DIR/external``, else ``../shared/external``."""
    return Path(os.environ.get("QH_SHARED_DIR", ROOT.parent / "shared")) / "external"


def external(*parts: str) -> Path:
    """The path of a published spec or payload, e.g. ``external("slack", "payloads", name)``.

    Skips the calling test (or the whole module, when called while collecting) if the file is
    absent; fails instead when ``QH_REQUIRE_SHARED=1``.
    """
    path = shared_dir().joinpath(*parts)
    if not path.is_file():
        reason = (
            f"published specs/payloads not found: {path} is missing "
            "(put shared/ beside the checkout or set QH_SHARED_DIR)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 and {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path


def external_json(*parts: str) -> Any:
    """The parsed JSON of ``external(*parts)``, freshly read (the caller may change it)."""
    return json.loads(external(*parts).read_text())


def external_text(*parts: str) -> str:
    """The text of ``external(*parts)``."""
    return external(*parts).read_text()

"""``GET /privacy`` and ``GET /terms``: the pages the Teams manifest links, served by ``serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.teams.manifest import build_manifest
from bot.bootstrap import build_runtime
from bot.settings import Settings
from tests.conftest import TEST_KEY


async def _serve(tmp_path: Path, **settings: str) -> AsyncIterator[str]:
    runtime = await build_runtime(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'qh.db'}",
            secret_key=TEST_KEY,
            **settings,  # type: ignore[arg-type]
        )
    )
    server = TestServer(runtime.app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await runtime.close()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[str]:
    async for url in _serve(
        tmp_path,
        operator_name="Advokatfirma Eksempel AS",
        operator_contact="personvern@eksempel.no",
        activity_retention_days=30,
    ):
        yield url


@pytest.fixture
async def bare_site(tmp_path: Path) -> AsyncIterator[str]:
    async for url in _serve(tmp_path):
        yield url


async def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and the page with its whitespace folded (as a browser shows it)."""
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, dict(response.headers), " ".join((await response.text()).split())


async def test_the_pages_the_teams_manifest_links_are_served(site: str) -> None:
    developer = build_manifest(
        app_id="00000000-0000-0000-0000-000000000000", domain="bot.example.org", version="1.0.0"
    )["developer"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        status, headers, body = await fetch(site + urlsplit(developer[key]).path)
        assert status == 200, key
        assert headers["Content-Type"].startswith("text/html")
        assert "Advokatfirma Eksempel AS" in body
        assert '<a href="mailto:personvern@eksempel.no">personvern@eksempel.no</a>' in body


async def test_privacy_says_what_is_stored_in_the_readers_language(site: str) -> None:
    status, headers, english = await fetch(site + "/privacy", **{"Accept-Language": "en-GB"})
    assert status == 200
    assert headers["Content-Language"] == "en"
    assert "<h1>Privacy</h1>" in english
    assert "until it is delivered or cancelled; the text is then erased at once" in english
    status, headers, norwegian = await fetch(
        site + "/privacy", **{"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.8"}
    )
    assert headers["Content-Language"] == "nb"
    assert "<h1>Personvern</h1>" in norwegian
    assert "til den er levert eller avbrutt; teksten slettes da straks" in norwegian
    # the retention the operator chose (QUIET_HOURS_ACTIVITY_RETENTION_DAYS)
    assert english.count("<td>30 days</td>") == 2 and norwegian.count("<td>30 dager</td>") == 2
    # ?lang= wins over the browser's preference (the pages link each other that way)
    _, _, terms = await fetch(site + "/terms?lang=nb", **{"Accept-Language": "en"})
    assert "<h1>Vilkår for bruk</h1>" in terms


async def test_without_an_operator_the_pages_still_say_who_to_ask(bare_site: str) -> None:
    status, _, body = await fetch(bare_site + "/privacy")
    assert status == 200
    assert "the organisation that runs this Quiet Hours server" in body
    assert "mailto:" not in body
    assert body.count("<td>90 days</td>") == 2  # the default retention


async def test_operator_settings_are_text_never_markup(tmp_path: Path) -> None:
    async for site in _serve(
        tmp_path,
        operator_name='<script>alert("x")</script>',
        operator_contact="javascript:alert(1)",
    ):
        _, headers, body = await fetch(site + "/terms")
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
        assert 'href="javascript:' not in body  # not an address or an http(s) URL: no link
        assert "default-src 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/", "<title>Quiet Hours</title>"),
        ("/privacy", "<title>Privacy — Quiet Hours</title>"),
        ("/terms?lang=nb", "<title>Vilkår for bruk — Quiet Hours</title>"),
    ],
)
async def test_each_page_names_the_product_once_in_its_title(
    bare_site: str, path: str, title: str
) -> None:
    status, _, page = await fetch(bare_site + path)
    assert status == 200
    assert title in page

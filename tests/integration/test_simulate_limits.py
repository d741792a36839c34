"""``quiet-hours simulate`` on hostile or odd exports: zip bombs are refused unread, a day file
or message that cannot be replayed is skipped and counted, reports never replace their input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.simulate.export_zip import open_export
from tests.support.slack_export import message, write_export

OSLO = "Europe/Oslo"
MIB = 1024 * 1024


def _export(tmp_path: Path, **extra: bytes) -> Path:
    return write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
        extra=extra,
    )


def _blanks(size: int) -> bytes:
    """A JSON list of ``size`` bytes that is nearly all blanks: deflates a thousand times."""
    return b"[" + b" " * (size - 2) + b"]"


def _run(tmp_path: Path, export: Path, *extra: str) -> tuple[int, dict[str, object]]:
    data = tmp_path / "r.json"
    args = ["simulate", str(export), "--policy", "norway-aml", "--out", str(tmp_path / "r.html")]
    code = main([*args, "--json", str(data), *extra])
    return code, json.loads(data.read_text()) if code == 0 else {}


def test_a_day_file_bomb_is_skipped_and_counted_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 8 MiB of blanks in 8 KiB: over 200 times its compressed size
    export = tmp_path / "e.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps([{"id": "UALICE01", "tz": OSLO}]))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        archive.writestr("general/2026-03-02.json", "[]")
        archive.writestr("general/2026-03-03.json", _blanks(8 * MIB))
    code, report = _run(tmp_path, export)
    assert code == 0, capsys.readouterr().err
    assert report["export"] == {**report["export"], "day_files": 2, "skipped_day_files": 1}  # type: ignore[dict-item]


def test_a_day_file_over_the_size_limit_is_skipped_whatever_its_header_says(
    tmp_path: Path,
) -> None:
    export = tmp_path / "e.zip"
    honest = json.dumps([message("UALICE01", "2026-03-02 10:00")]).encode()
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps([{"id": "UALICE01", "tz": OSLO}]))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        archive.writestr("general/2026-03-02.json", honest)
        archive.writestr("general/2026-03-03.json", b"[" + b"1," * 40_000 + b"1]")
    from bot.simulate.zip_limits import MemberLimits

    small = MemberLimits(day_file=len(honest) + 10)
    opened = open_export(export, default_zone=None, limits=small)
    assert sum(len(day) for day in opened.dates()) == 1
    assert (opened.stats.day_files, opened.stats.bad_files) == (2, 1)


@pytest.mark.parametrize("name", ["users.json", "channels.json"])
def test_a_list_file_bomb_refuses_the_export_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    export = tmp_path / "e.zip"
    lists = {
        "users.json": json.dumps([{"id": "UALICE01", "tz": OSLO}]).encode(),
        "channels.json": json.dumps([{"id": "C1", "name": "general"}]).encode(),
        name: _blanks(4 * MIB),
    }
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, raw in lists.items():
            archive.writestr(member, raw)
    out = tmp_path / "r.html"
    code = main(["simulate", str(export), "--policy", "norway-aml", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        f"quiet-hours: {name} inflates more than 200 times its compressed size: not read "
        "(is it a Slack export?)"
    ]
    assert not out.exists()


def test_deeply_nested_day_files_and_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path, **{"general/2026-03-03.json": b"[" * 100_000})
    code, report = _run(tmp_path, export)
    assert code == 0, capsys.readouterr().err
    assert report["export"]["skipped_day_files"] == 1  # type: ignore[index]
    nested = write_export(
        tmp_path / "n.zip",
        users={"UALICE01": OSLO},
        channels={},
        extra={"groups.json": b"[" * 100_000},
    )
    assert main(["simulate", str(nested), "--policy", "norway-aml", "--out", "r.html"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "quiet-hours: groups.json in the export is nested too deep to be Slack's"
    ]


@pytest.mark.parametrize("stamp", ["99999999999999.0", "-5", "nan", "inf", "1e400", 1e300])
def test_a_message_at_no_possible_time_is_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stamp: object
) -> None:
    odd = [{"type": "message", "user": "UALICE01", "text": "x", "ts": stamp}]
    export = _export(tmp_path, **{"general/2026-03-03.json": json.dumps(odd).encode()})
    code, report = _run(tmp_path, export)
    assert code == 0, capsys.readouterr().err
    assert report["export"]["skipped_messages"] == 1  # type: ignore[index]
    assert report["export"]["skipped_day_files"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("flag", "target"),
    [("--out", "e.zip"), ("--json", "e.zip"), ("--json", "r.html"), ("--out", "./sub/../e.zip")],
)
def test_a_report_never_replaces_the_export_or_the_other_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, target: str
) -> None:
    export = _export(tmp_path)
    (tmp_path / "sub").mkdir()
    before = export.read_bytes()
    paths = {"--out": str(tmp_path / "r.html"), "--json": str(tmp_path / "r.json")}
    paths[flag] = str(tmp_path / target)
    args = ["simulate", str(export), "--policy", "norway-aml"]
    code = main([*args, *(item for pair in paths.items() for item in pair)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"quiet-hours: {flag} ") and "would replace it" in err
    assert len(err.splitlines()) == 1
    assert export.read_bytes() == before
    assert not (tmp_path / "r.json").exists()


def test_a_report_never_replaces_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "live.db"
    database.write_bytes(b"SQLite format 3\x00")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    args = ["simulate", str(_export(tmp_path)), "--policy", "norway-aml", "--out", str(database)]
    assert main(args) == 2
    assert "is the database" in capsys.readouterr().err
    assert database.read_bytes() == b"SQLite format 3\x00"


def test_holidays_none_and_a_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _export(tmp_path)
    assert _run(tmp_path, export, "--holidays", "none")[1]["policy"]["holidays"] is None  # type: ignore[index]
    assert _run(tmp_path, export, "--holidays", "no-03")[1]["policy"]["holidays"] == "NO"  # type: ignore[index]
    code, _ = _run(tmp_path, export, "--holidays", "XX-03")
    assert code == 2
    assert "no public holidays known for 'XX-03'" in capsys.readouterr().err


def test_a_preset_without_a_zone_takes_the_exports_most_common_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UA": "Asia/Tokyo", "UB": "Asia/Tokyo", "UC": OSLO, "UD": None},
        channels={"general": [message("UA", "2026-03-02 10:00")]},
    )
    _, report = _run(tmp_path, export, "--policy", "office-standard")
    assert report["policy"]["tz"] == "Asia/Tokyo"  # type: ignore[index]
    assert "Asia/Tokyo" in capsys.readouterr().out  # the summary names it
    # a zone of its own, or one asked for, is kept
    assert _run(tmp_path, export)[1]["policy"]["tz"] == OSLO  # type: ignore[index]
    _, chosen = _run(tmp_path, export, "--policy", "office-standard", "--tz", "America/Lima")
    assert chosen["policy"]["tz"] == "America/Lima"  # type: ignore[index]


def test_the_summary_shows_the_hours_in_the_readers_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path)
    code, _ = _run(tmp_path, export, "--locale", "nb", "--holidays", "none")
    assert code == 0
    out = capsys.readouterr().out
    assert "man-fre 08:00-16:00" in out and "mon-fri" not in out
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "man-fre 08:00-16:00" in page and "mon-fri" not in page


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_FIELD = st.one_of(_JSON, st.sampled_from(["UALICE01", "1772442000.000100", "thread_broadcast"]))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=st.lists(
        st.one_of(
            _JSON,
            st.fixed_dictionaries(
                {},
                optional={
                    name: _FIELD
                    for name in ("user", "ts", "text", "thread_ts", "subtype", "bot_id")
                },
            ),
        ),
        max_size=6,
    )
)
def test_any_message_is_replayed_skipped_or_counted_never_fatal(
    tmp_path: Path, items: list[object]
) -> None:
    """Whatever a day file's items hold (any JSON in any field), reading never raises, and
    every item is a message or counted as skipped, not a person's, or by someone unknown."""
    export = tmp_path / "e.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("users.json", json.dumps([{"id": "UALICE01", "tz": OSLO}]))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        archive.writestr("general/2026-03-03.json", json.dumps(items))
    opened = open_export(export, default_zone=None)
    read = sum(len(day) for day in opened.dates())
    stats = opened.stats
    assert stats.bad_files == 0
    assert read + stats.bad_messages + stats.bot_or_system + stats.unknown_people == len(items)

"""Bad input to ``quiet-hours simulate``: one clear line on stderr and exit code 2, no traceback;
a day file that cannot be read is skipped and counted, never fatal."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.cli import SUBPROCESS_ENV
from tests.support.slack_export import message, write_export

OSLO = "Europe/Oslo"


def refused(tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    out = tmp_path / "r.html"
    code = main(["simulate", str(export), "--policy", "norway-aml", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("quiet-hours: "), err  # every error line of the CLI alike
    assert "Traceback" not in err
    assert not out.exists()
    return err


def test_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.zip"
    path.write_text("these are not the bytes of a zip")
    assert "is not a zip file" in refused(tmp_path, path, capsys)


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no such file" in refused(tmp_path, tmp_path / "nowhere.zip", capsys)


def test_a_zip_that_is_not_a_slack_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8\xff")
    assert "not a Slack export" in refused(tmp_path, path, capsys)


def test_missing_users_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
        leave_out=("users.json",),
    )
    assert "no users.json" in refused(tmp_path, export, capsys)


def test_unknown_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO, "UMARS005": "Mars/Olympus_Mons"},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
    )
    err = refused(tmp_path, export, capsys)
    assert "Mars/Olympus_Mons" in err and "UMARS005" in err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--tz", "Europe/Atlantis"), "unknown time zone"),
        (("--holidays", "XX"), "no public holidays known for 'XX'"),
        (("--from", "2026-13-01"), "--from wants a date"),
        (("--from", "2026-04-01", "--to", "2026-03-01"), "--from is after --to"),
        (("--hours", "mon-fri 25:00-26:00"), ""),
        (("--hours", "9-5"), ""),
        (("--person", "UNOBODY1"), "--person UNOBODY1: no such person in users.json"),
    ],
)
def test_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], expected: str
) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
    )
    assert expected in refused(tmp_path, export, capsys, *extra)


def test_unknown_preset_and_refused_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_export(tmp_path / "e.zip", users={"UALICE01": OSLO}, channels={})
    out = tmp_path / "r.html"
    assert main(["simulate", str(export), "--policy", "atlantis", "--out", str(out)]) == 2
    assert "atlantis" in capsys.readouterr().err
    # Portugal's art. 199.º-A allows holding only
    args = ["simulate", str(export), "--policy", "portugal-199a", "--mode", "label"]
    assert main([*args, "--out", str(out)]) == 2
    assert "does not allow mode label" in capsys.readouterr().err


def test_malformed_day_files_are_skipped_and_counted(tmp_path: Path) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
        extra={
            "general/2026-03-03.json": b"{not json",
            "general/2026-03-04.json": b'{"a": "mapping, not a list"}',
            "general/2026-03-05.json": json.dumps(
                [{"type": "message", "user": "UALICE01", "ts": "soon"}, 7, None]
            ).encode(),
        },
    )
    out, data = tmp_path / "r.html", tmp_path / "r.json"
    args = ["simulate", str(export), "--policy", "norway-aml", "--out", str(out)]
    assert main([*args, "--json", str(data)]) == 0
    report = json.loads(data.read_text())
    assert report["export"]["skipped_day_files"] == 2
    assert report["export"]["skipped_messages"] == 1
    assert report["totals"]["messages"] is None  # one person wrote it: not shown
    assert "2 day files could not be read and were skipped" in out.read_text(encoding="utf-8")


def test_a_real_process_says_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK not really")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "simulate",
            str(path),
            "--policy",
            "norway-aml",
            "--out",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        env=SUBPROCESS_ENV,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"quiet-hours: {path} is not a zip file (a Slack export is a .zip)"
    ]
    assert result.stdout == ""


def test_a_directory_given_as_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "unpacked-export"
    folder.mkdir()
    err = refused(tmp_path, folder, capsys)
    assert "is a directory, not a zip file" in err and "no such file" not in err


@pytest.mark.parametrize("flag", ["--out", "--json"])
@pytest.mark.parametrize("where", ["missing folder", "a directory"])
def test_a_report_path_that_cannot_be_written_is_refused_before_the_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, where: str
) -> None:
    export = write_export(
        tmp_path / "e.zip",
        users={"UALICE01": OSLO},
        channels={"general": [message("UALICE01", "2026-03-02 10:00")]},
    )
    bad = tmp_path / "nonexistent" / "r.html" if where == "missing folder" else tmp_path
    paths = {"--out": str(tmp_path / "r.html"), "--json": str(tmp_path / "r.json")}
    paths[flag] = str(bad)
    args = ["simulate", str(export), "--policy", "norway-aml"]
    args += [item for pair in paths.items() for item in pair]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and err.startswith(f"quiet-hours: {flag} ")
    assert ("does not exist" if where == "missing folder" else "is a directory") in err
    assert "unexpected" not in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.json").exists()

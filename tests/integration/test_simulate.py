"""``quiet-hours simulate`` on small exports whose every figure is worked out by hand.

Each scenario is a zip written the way Slack lays an export out, replayed with the command's
own arguments. These exports have fewer than five people, so the hand-computed figures are
read with the minimum group size lowered to 1 (``summarise_replay(min_group=1)``, which the
command never does); what the command itself prints and writes is checked with the rule on.
Times are Europe/Oslo unless said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import _parser, main
from bot.cli_simulate import run
from bot.simulate.render import render_html
from bot.simulate.summary import summarise_replay
from tests.support.slack_export import message, ts, write_export

OSLO = "Europe/Oslo"
PEOPLE = {"UALICE01": OSLO, "UBJORN02": OSLO, "UCARLA03": OSLO}


def simulate(tmp_path: Path, export: Path, *extra: str, min_group: int = 1) -> dict[str, Any]:
    """The report's figures, as ``--json`` would hold them with ``min_group``."""
    args = _parser().parse_args(
        ["simulate", str(export), "--out", str(tmp_path / "report.html"), *extra]
    )
    replay, run_info = run(args)
    report = summarise_replay(replay, run_info, min_group=min_group)
    assert render_html(report, args.locale).startswith("<!doctype html>")
    result: dict[str, Any] = json.loads(json.dumps(report))
    return result


def command(tmp_path: Path, export: Path, *extra: str) -> dict[str, Any]:
    """Run the command as a user does; its ``--json``, read back."""
    out, data = tmp_path / "report.html", tmp_path / "report.json"
    code = main(["simulate", str(export), "--out", str(out), "--json", str(data), *extra])
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    result: dict[str, Any] = json.loads(data.read_text(encoding="utf-8"))
    return result


def week(report: dict[str, Any], monday: str) -> dict[str, Any]:
    return next(row for row in report["weeks"] if row["week"] == monday)


@pytest.fixture
def dst_weekend(tmp_path: Path) -> Path:
    """The weekend Europe/Oslo moves to summer time (Sunday 29 March 2026, 02:00 -> 03:00)."""
    sat = message("UBJORN02", "2026-03-28 20:00", "saturday question")
    return write_export(
        tmp_path / "dst.zip",
        users=PEOPLE,
        channels={
            "general": [
                message("UALICE01", "2026-03-27 10:00", "friday morning"),  # in hours
                message("UALICE01", "2026-03-27 17:00", "friday evening"),  # held to Monday
                sat,  # held to Monday
                # a reply in Saturday's thread, on the Sunday of the clock change, decided
                message(
                    "UCARLA03",
                    "2026-03-29 12:00",
                    "ok, let's go with option B",
                    thread_ts=sat["ts"],
                ),
                message("UALICE01", "2026-03-31 20:00", "tuesday night"),  # held to Wednesday
                message("UBJORN02", "2026-04-01 09:00", "wednesday"),  # in hours
                {
                    "type": "message",
                    "subtype": "channel_join",
                    "user": "UCARLA03",
                    "ts": ts("2026-03-30 09:00"),
                    "text": "joined",
                },
                {
                    "type": "message",
                    "subtype": "bot_message",
                    "bot_id": "B1",
                    "ts": ts("2026-03-28 21:00"),
                    "text": "build failed",
                },
            ]
        },
    )


def test_dst_weekend_held_landing_and_digest(tmp_path: Path, dst_weekend: Path) -> None:
    report = simulate(tmp_path, dst_weekend, "--policy", "norway-aml")
    assert report["totals"] == {
        "messages": 6,
        "in_hours": 2,
        "off_hours": 4,
        "held": 4,
        "labelled_messages": 0,
        "off_hours_share": round(4 / 6, 4),
    }
    assert report["export"]["bot_or_system_messages"] == 2
    # three held over the weekend land together at Monday 08:00 summer time (06:00 UTC, not
    # 07:00 as in winter); a channel's burst of 3 sends them at once
    assert report["landing"]["waves"] == 2
    assert report["landing"]["peak"] == {
        "at": "2026-03-30T06:00:00Z",
        "messages": 3,
        "conversations": 1,
        "busiest_conversation": 3,
        "drain_seconds": 0.0,
    }
    assert week(report, "2026-03-23") == {
        "week": "2026-03-23",
        "messages": 4,
        "off_hours": 3,
        "held": 3,
        "landing_monday": 0,
        "decided_threads": 1,
    }
    assert week(report, "2026-03-30") == {
        "week": "2026-03-30",
        "messages": 2,
        "off_hours": 1,
        "held": 1,
        "landing_monday": 3,
        "decided_threads": 0,
    }
    # one digest on Monday morning: Friday evening's thread and Saturday's (two messages, read
    # as decided); Tuesday night is an ordinary night, in no digest
    assert report["digests"] == {
        "count": 1,
        "threads": 2,
        "messages": 3,
        "largest_threads": 2,
        "mean_threads": 2.0,
        "decided_threads": 1,
        "posted_on": 1,
    }
    assert report["decided_off_hours_threads"] == 1
    assert report["labels"] == {"count": 0, "mornings": 0}
    assert report["channels"] == [
        {
            "name": "general",
            "kind": "channel",
            "messages": 6,
            "off_hours": 4,
            "held": 4,
            "off_hours_share": round(4 / 6, 4),
        }
    ]


def test_christmas_eve_and_holidays_in_label_mode(tmp_path: Path) -> None:
    """Norway closes Christmas Eve from 15:00 (§ 10-10); 25 and 26 December are holidays."""
    eve = message("UBJORN02", "2026-12-24 15:30", "eve question")
    export = write_export(
        tmp_path / "xmas.zip",
        users=PEOPLE,
        channels={
            "general": [
                message("UALICE01", "2026-12-24 14:00", "before three"),  # still open
                eve,  # labelled until Monday 28 December 08:00
                message("UCARLA03", "2026-12-24 16:30", "reply", thread_ts=eve["ts"]),
                message("UALICE01", "2026-12-26 11:00", "boxing day"),  # a new thread
            ]
        },
    )
    report = simulate(tmp_path, export, "--policy", "norway-aml", "--mode", "label")
    assert report["policy"]["mode"] == "label"
    assert report["totals"]["in_hours"] == 1
    assert report["totals"]["labelled_messages"] == 3
    assert report["totals"]["held"] == 0
    # one label per thread and period: the eve's thread and Boxing Day's
    assert report["labels"] == {"count": 2, "mornings": 1}
    assert report["landing"]["peak"] is None
    assert report["digests"]["count"] == 1
    assert report["digests"]["threads"] == 2
    assert report["digests"]["messages"] == 3


def test_a_direct_message_waits_for_the_recipient_in_their_own_zone(tmp_path: Path) -> None:
    """US clocks change on 8 March 2026, three weeks before Europe's."""
    people = {"UALICE01": OSLO, "UDAVID04": "America/New_York"}
    export = write_export(
        tmp_path / "dm.zip",
        users=people,
        channels={},
        dms={
            "D0001": (
                ["UALICE01", "UDAVID04"],
                [
                    # 15:00 Oslo = 09:00 New York: David is in his hours
                    message("UALICE01", "2026-03-02 15:00", "hi david"),
                    # 11:00 New York = 17:00 Oslo: Alice is not; held to Tuesday 08:00 Oslo
                    message("UDAVID04", "2026-03-02 11:00", "hi alice", zone="America/New_York"),
                    # 13:30 Oslo = 08:30 New York summer time (07:30 if DST were ignored)
                    message("UALICE01", "2026-03-09 13:30", "after the change"),
                ],
            )
        },
    )
    report = simulate(tmp_path, export, "--policy", "norway-aml")
    assert report["totals"]["held"] == 1
    assert report["totals"]["in_hours"] == 2
    assert report["landing"]["peak"]["at"] == "2026-03-03T07:00:00Z"
    assert report["channels"] == [
        {
            "name": None,
            "kind": "direct",
            "messages": 3,
            "off_hours": 1,
            "held": 1,
            "off_hours_share": round(1 / 3, 4),
        }
    ]
    assert report["digests"]["count"] == 0  # DMs are not watched channels


@pytest.mark.parametrize(("audience", "held"), [("team", 2), ("members", 1)])
def test_audience_members_waits_for_half_of_the_channel(
    tmp_path: Path, audience: str, held: int
) -> None:
    """One member in Oslo, two in New York: 16:30 in Oslo is 10:30 in New York, when two of
    three are in their hours; 07:30 in Oslo is 01:30 in New York, when nobody is."""
    people = {"UALICE01": OSLO, "UDAVID04": "America/New_York", "UERIN005": "America/New_York"}
    export = write_export(
        tmp_path / "members.zip",
        users=people,
        channels={
            "general": [
                message("UALICE01", "2026-03-02 07:30", "early"),
                message("UALICE01", "2026-03-02 16:30", "late for oslo"),
            ]
        },
    )
    report = simulate(tmp_path, export, "--policy", "norway-aml", "--audience", audience)
    assert report["policy"]["audience"] == audience
    assert report["totals"]["held"] == held
    # the early one waits for Oslo's 08:00 in both (Alice is 1 of 3; the team is Oslo's hours)
    # members: ... or New York's 08:00 (13:00 UTC), when two of three are in: that comes later
    first_landing = "2026-03-02T07:00:00Z" if audience == "team" else "2026-03-02T13:00:00Z"
    assert report["landing"]["peak"]["at"] == first_landing


@pytest.mark.parametrize(("people", "shown"), [(4, False), (5, True)])
def test_personal_patterns_need_five_people(tmp_path: Path, people: int, shown: bool) -> None:
    users = {f"UNIGHT{n:02d}": OSLO for n in range(people)}
    export = write_export(
        tmp_path / "nights.zip",
        users=users,
        channels={
            "general": [
                *(message(uid, f"2026-03-03 22:{n:02d}") for n, uid in enumerate(users)),
                message("UNIGHT00", "2026-03-04 12:00"),  # the replay runs to Wednesday
            ]
        },
    )
    report = command(tmp_path, export, "--policy", "norway-aml")
    patterns = {p["pattern"]: p for p in report["patterns"]}
    # each wrote on Tuesday at 22:0n (night) and began Wednesday at 08:00 by their hours: under
    # 11 hours' rest; nobody wrote in the evening, so that zero is shown
    assert patterns["evenings"] == {
        "pattern": "evenings",
        "people": 0,
        "occurrences": 0,
        "suppressed": False,
    }
    for name in ("nights", "short_rest_days"):
        if shown:
            assert patterns[name] == {
                "pattern": name,
                "people": 5,
                "occurrences": 5,
                "suppressed": False,
            }
        else:
            assert patterns[name] == {
                "pattern": name,
                "people": None,
                "occurrences": None,
                "suppressed": True,
            }


def test_no_text_and_no_person_in_the_report(tmp_path: Path, dst_weekend: Path) -> None:
    command(tmp_path, dst_weekend, "--policy", "norway-aml", "--locale", "nb")
    for name in ("report.html", "report.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        for secret in ("option B", "saturday question", "UALICE01", "ualice01", "UBJORN02"):
            assert secret not in text, (name, secret)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'lang="nb"' in html and "Uke for uke" in html
    assert "http://" not in html and "https://" not in html
    assert html.count("<svg") == 3


def test_person_sees_only_their_own_figures(
    tmp_path: Path, dst_weekend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = command(tmp_path, dst_weekend, "--policy", "norway-aml", "--person", "UALICE01")
    assert set(data) == {"schema", "person", "policy", "figures"}
    # Friday 10:00 and 17:00, Tuesday 20:00: two outside her hours, one evening (18-21);
    # Tuesday 20:00 to Wednesday's 08:00 is 12 hours' rest
    assert data["figures"] == {
        "messages": 3,
        "outside_hours": 2,
        "evenings": 1,
        "nights": 0,
        "sundays_holidays": 0,
        "short_rest_days": 0,
        "long_weeks": 0,
    }
    assert "UBJORN02" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Messages: 3; outside your hours: 2; evenings: 1;" in capsys.readouterr().out


def test_dates_limit_the_replay(tmp_path: Path, dst_weekend: Path) -> None:
    report = simulate(
        tmp_path,
        dst_weekend,
        "--policy",
        "norway-aml",
        "--from",
        "2026-03-30",
        "--to",
        "2026-04-30",
    )
    assert report["totals"]["messages"] == 2
    assert report["totals"]["held"] == 1


def test_three_people_get_no_figure(
    tmp_path: Path, dst_weekend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every figure of the DST weekend is made by fewer than five people: none is shown."""
    report = command(tmp_path, dst_weekend, "--policy", "norway-aml")
    assert report["totals"] == {
        "messages": None,
        "in_hours": None,
        "off_hours": None,
        "held": None,
        "labelled_messages": 0,  # a zero from nobody is shown
        "off_hours_share": None,
    }
    assert report["landing"]["peak"] is None and report["landing"]["peak_suppressed"]
    assert report["channels"][0]["held"] is None
    assert all(value in (None, 0) for cell in report["hour_of_week"] for value in cell)
    out = capsys.readouterr().out
    assert "Sent outside working hours: — (—); held: —;" in out
    assert "no landing gathers messages from 5 people or more" in out
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ">—</td>" in html


def test_terminal_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Five people write on Tuesday night; one of them on Wednesday at noon."""
    users = {f"UNIGHT{n:02d}": OSLO for n in range(5)}
    night = [message(uid, f"2026-03-03 22:{n:02d}") for n, uid in enumerate(users)]
    export = write_export(
        tmp_path / "nights.zip",
        users=users,
        channels={"general": [*night, message("UNIGHT00", "2026-03-04 12:00")]},
    )
    command(tmp_path, export, "--policy", "norway-aml")
    out = capsys.readouterr().out
    assert "6 messages written by people, in the weeks from 2026-03-02 to 2026-03-02" in out
    assert "Sent outside working hours: 5 (83 %); held: 5;" in out
    # one channel's burst of 3, then one a second: the last of five goes after 2 s
    assert (
        "Busiest landing: Wed 2026-03-04 08:00 Europe/Oslo, 5 held messages (conversations: 1)"
        in out
    )
    assert "they are all delivered after 2 s" in out
    assert "Nights (21:00–06:00): people 5; times: 5" in out


def test_progress_only_on_a_terminal(
    tmp_path: Path, dst_weekend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Redirected, stderr stays empty; on a terminal one line is rewritten as files are read."""
    import io

    from bot.cli_simulate import _Progress

    command(tmp_path, dst_weekend, "--policy", "norway-aml")
    assert capsys.readouterr().err == ""
    stream = io.StringIO()
    progress = _Progress(3, "nb", stream)
    progress(1)
    progress(3)  # the last one is always shown
    progress.close()
    assert stream.getvalue().startswith("\rleser dagsfiler: 1 av 3")
    assert "\rleser dagsfiler: 3 av 3" in stream.getvalue()


@pytest.mark.parametrize(("holidays", "held"), [((), 0), (("--holidays", "SE"), 1)])
def test_holidays_of_another_country(tmp_path: Path, holidays: tuple[str, ...], held: int) -> None:
    """Tuesday 6 January 2026 is Epiphany: a working day in Norway, a holiday in Sweden."""
    export = write_export(
        tmp_path / "epiphany.zip",
        users=PEOPLE,
        channels={"general": [message("UALICE01", "2026-01-06 10:00", "trettondagen")]},
    )
    report = simulate(tmp_path, export, "--policy", "norway-aml", *holidays)
    assert report["totals"]["held"] == held
    assert report["policy"]["holidays"] == ("SE" if holidays else "NO")
    if held:  # to Wednesday 08:00 in Oslo (07:00 UTC)
        assert report["landing"]["peak"]["at"] == "2026-01-07T07:00:00Z"


def test_a_group_dm_waits_for_half_of_the_others(tmp_path: Path) -> None:
    """Alice in Oslo, David and Erin in New York. At 03:00 in New York (09:00 in Oslo) David
    writes: of the two it reaches, Alice is at work, which is half. At 07:30 in Oslo (01:30 in
    New York) Alice writes: nobody else is, until New York's 08:00 (13:00 UTC)."""
    people = {"UALICE01": OSLO, "UDAVID04": "America/New_York", "UERIN005": "America/New_York"}
    export = write_export(
        tmp_path / "mpim.zip",
        users=people,
        channels={},
        mpims={
            "mpdm-alice--david--erin-1": (
                list(people),
                [
                    message("UDAVID04", "2026-03-02 03:00", "early", zone="America/New_York"),
                    message("UALICE01", "2026-03-03 07:30", "before eight"),
                ],
            )
        },
    )
    report = simulate(tmp_path, export, "--policy", "norway-aml")
    assert report["totals"]["held"] == 1
    assert report["landing"]["peak"]["at"] == "2026-03-03T13:00:00Z"
    assert report["channels"][0]["kind"] == "group_dm"

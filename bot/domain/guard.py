"""The decision guard's rules, pure: does a message (or its reactions) read like a decision, and
when does the guard on an off-hours decision end.

A decision is read from words (English and bokmål: "let's go with", "vi går for", "approved",
"godkjent" …) unless the words are negated ("not decided yet", "ikke bestemt"), hypothetical
("if we go with", "hvis vi går for") or asked ("have we decided?"); or from reactions: at least
:data:`REACTION_QUORUM` different people putting an approving reaction (✅, ☑️, ✔️, 👍) on one
message. Only the yes/no answer is kept; the text is never stored.

The guard ends when the colleagues who were away have been back for ``grace`` of *their* working
time (the team policy's open intervals, which are UTC half-open intervals with the DST rule of
``bot.domain.hours``): :func:`guard_end` adds working time exactly, however the clocks moved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.hours import WorkingHours
from bot.domain.timeutil import ensure_utc

__all__ = [
    "APPROVING_REACTIONS",
    "DEFAULT_GRACE",
    "MAX_GRACE",
    "REACTION_QUORUM",
    "guard_end",
    "is_approving_reaction",
    "parse_grace",
    "reactions_decide",
    "reads_like_decision",
]

#: The grace period a team gets unless it sets one (`/quiet team guard 4h`).
DEFAULT_GRACE = timedelta(hours=4)
#: The longest grace period a team may set: a full working week.
MAX_GRACE = timedelta(hours=40)
#: How many different people's approving reactions on one message make a decision.
REACTION_QUORUM = 2

#: Approving reactions: Slack's names (skin tones stripped), Teams' reaction types, and the
#: emoji themselves (newer Teams clients report some reactions by their character).
APPROVING_REACTIONS = frozenset(
    {
        "white_check_mark",
        "heavy_check_mark",
        "ballot_box_with_check",
        "+1",
        "thumbsup",
        "like",
        "yes",
        "✅",
        "✔",
        "✔️",
        "☑",
        "☑️",
        "👍",
    }
)

_DECIDED = [
    # English
    r"(?:we(?:'ve| have)? |it's |it is |has been |have |was |is )?decided",
    r"decision (?:is |was |has been )?(?:made|taken)",
    r"let'?s (?:go|do) (?:with|for|it|that|option|alternative|plan)",
    r"we(?:'ll| will| are|'re)? go(?:ing)? (?:with|for)",
    r"going with",
    r"(?:we )?agreed",
    r"we agree",
    r"final answer",
    r"approved",
    r"signed off",
    r"sign(?:ing)? off on",
    r"green light",
    r"lgtm",
    r"ship it",
    r"settled",
    r"it'?s a go",
    r"done deal",
    r"locked in",
    r"we(?:'re| are) going ahead",
    r"go ahead with",
    # bokmål
    r"(?:vi går|går vi) for",  # bokmål puts the verb second: "da går vi for"
    r"vi kjører på",
    r"kjør på",
    r"vi gjør det (?:slik|sånn)",
    r"da gjør vi det",
    r"bestemt",
    r"besluttet",
    r"vedtatt",
    r"enige om",
    r"vi er enige",
    r"konklusjon(?:en)?",
    r"godkjent",
    r"avgjort",
    r"(?:vi )?lander på",
    r"landet på",
    r"vi velger",
    r"spikret",
]
_DECISION = re.compile(r"\b(?:" + "|".join(_DECIDED) + r")\b", re.IGNORECASE)

# Words that undo a decision phrase in the same message: negations, hypotheticals, doubts.
_NOT_DECIDED = [
    r"not (?:yet )?(?:been )?(?:decided|agreed|approved|settled|final)",
    r"(?:haven't|have not|hasn't|has not|didn't|did not|don't|do not|can't|cannot) "
    r"(?:yet )?(?:decide|decided|agree|agreed|approve|approved)",
    r"no decision",
    r"undecided",
    r"disagree",
    r"nothing (?:is |has been )?(?:decided|agreed|final)",
    r"if we",
    r"unless",
    r"before we",
    r"should we",
    r"shall we",
    r"maybe",
    r"perhaps",
    r"ikke (?:ennå |enda |helt )?(?:bestemt|besluttet|avgjort|godkjent|enige|vedtatt|landet)",
    r"ingen (?:beslutning|konklusjon|avgjørelse)",
    r"ingenting (?:er )?(?:bestemt|besluttet|avgjort|vedtatt)",
    r"uenig",
    r"hvis vi",
    r"dersom",
    r"før vi",
    r"skal vi",
    r"bør vi",
    r"kanskje",
    r"eventuelt",
]
_UNDONE = re.compile(r"\b(?:" + "|".join(_NOT_DECIDED) + r")\b", re.IGNORECASE)

# A reply that is only an approval ("Approved.", "godkjent!", "✅", "👍").
_APPROVAL_ONLY = re.compile(
    r"^(?:approved|godkjent|agreed|enig|enige|lgtm|ship it|✅|☑️?|✔️?)[\s.!]*$", re.IGNORECASE
)
#: One of these (lower case) is in every ASCII text that ``_APPROVAL_ONLY`` or ``_DECISION`` can
#: match: the English and ASCII bokmål phrases above each contain one (the others need å or ø,
#: which no ASCII letter matches, even ignoring case). Most messages have none, and this scan is
#: many times faster than ``_DECISION``'s (the policy simulator asks about every off-hours
#: message); ``tests/unit/test_guard_cues.py`` checks the answers agree. Add a cue with a phrase.
_ASCII_CUES = re.compile(
    "deci|let|go|agree|final|approved|sign|green|lgtm|ship|settled|done|locked|enig|bestemt"
    "|besluttet|vedtatt|konklusjon|godkjent|avgjort|velger|spikret"
)
_TRAILING = re.compile(r"[\s)\]\"'”»:;,.!\u2600-\u27bf\U0001f300-\U0001faff\ufe0f]+$")


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def reads_like_decision(text: str) -> bool:
    """Whether ``text`` reads like a decision being made (see the module docstring).

    A question (the message ends with "?") states no decision: "Er det bestemt?" asks.
    """
    text = _normal(text)
    if not text:
        return False
    if text.isascii() and _ASCII_CUES.search(text.lower()) is None:
        return False
    if _APPROVAL_ONLY.match(text):
        return True
    if not _DECISION.search(text):
        return False
    if _UNDONE.search(text):
        return False
    # emoji and closing punctuation after the question mark do not make it a statement
    return not _TRAILING.sub("", text).endswith("?")


def is_approving_reaction(name: str) -> bool:
    """Whether a reaction approves: ✅ ☑️ ✔️ 👍 (Slack names with any skin tone, Teams types)."""
    base = (name or "").split("::", 1)[0].strip().lower()
    return base in APPROVING_REACTIONS


def reactions_decide(reactors: Iterable[str]) -> bool:
    """Whether the people who put an approving reaction on one message make a decision:
    :data:`REACTION_QUORUM` or more different people (one person's two reactions count once)."""
    return len(set(reactors)) >= REACTION_QUORUM


def guard_end(hours: WorkingHours, decided_at: datetime, grace: timedelta) -> datetime | None:
    """The instant the people who keep ``hours`` have been back for ``grace`` of working time
    after ``decided_at``: the sum of ``hours``' open time in ``[decided_at, result)`` equals
    ``grace`` exactly (UTC arithmetic on the open intervals, so a DST change on the way
    neither adds nor removes an hour). ``None`` when the hours never give that much time
    within their horizon (two years). Raises ``ValueError`` for a negative ``grace``.
    """
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    decided_at = ensure_utc(decided_at)
    left = grace
    for start, end in hours.open_intervals(decided_at):
        start = max(start, decided_at)
        if end is None:
            return start + left
        length = end - start
        if length >= left:
            return start + left
        left -= length
    return None


_GRACE = re.compile(
    r"^(?:(?P<h>\d{1,2})\s*(?:hours?|timer?|time|h|t)(?![a-zæøå]))?\s*"
    r"(?:(?P<m>\d{1,4})\s*(?:minutes?|minutt(?:er)?|min|m)(?![a-zæøå]))?$",
    re.IGNORECASE,
)
_OFF = frozenset({"off", "av", "none", "ingen", "0"})


def parse_grace(text: str) -> timedelta | None:
    """A team's grace period as typed: ``4h``, ``90m``, ``1h 30m``, ``4 timer``; ``off``/``av``
    turns the guard off (None). Raises ``ValueError`` for anything else, or for a period of
    less than a minute or more than :data:`MAX_GRACE`."""
    value = " ".join((text or "").split()).lower()
    if value in _OFF:
        return None
    match = _GRACE.match(value) if value else None
    if match is None or not (match.group("h") or match.group("m")):
        raise ValueError(f"not a grace period: {text!r}")
    grace = timedelta(hours=int(match.group("h") or 0), minutes=int(match.group("m") or 0))
    if not timedelta(minutes=1) <= grace <= MAX_GRACE:
        raise ValueError(f"a grace period is from 1 minute to {MAX_GRACE}")
    return grace

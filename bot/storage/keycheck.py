"""Can the configured keys read what is stored? A cheap probe, run at start and by ``/readyz``.

A server started with the wrong ``QUIET_HOURS_SECRET_KEY`` must not look ready: it would find
every held message unreadable. The probe decrypts one stored sample of each kind of encrypted
value (a few ``LIMIT 1`` reads on indexed or small tables), the one most likely to be under the
oldest key where that is cheap to find. Nothing stored means nothing to read: an empty database
passes with any key, and what is stored from then on is under that key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import ConfigError
from bot.storage.crypto import Cipher, DecryptionError
from bot.storage.models import (
    HeldMessageRow,
    InstallationRow,
    PersonRow,
    ThreadExcerptRow,
    slack_bots_table,
    slack_installations_table,
)

__all__ = ["REMEDY", "KeyCheck", "KeysCannotRead", "check_keys"]

#: What to do about it, said by ``serve`` and ``/readyz`` alike (README: Keys and key rotation).
REMEDY = (
    "restore the key it was written with, or list the new and the old keys comma-separated "
    "(QUIET_HOURS_SECRET_KEY=NEW,OLD; see README, Keys and key rotation)"
)

_held = HeldMessageRow.__table__.c
_installations = InstallationRow.__table__.c
_people = PersonRow.__table__.c
_excerpts = ThreadExcerptRow.__table__.c
_slack = slack_installations_table.c
_bots = slack_bots_table.c

# (kind, query for one sample); bytes from our tables, ASCII text from slack-sdk's
_SAMPLES: Sequence[tuple[str, Select[Any]]] = (
    # the next to fall due, read through the (state, deliver_at) index
    (
        "held messages",
        select(_held.body_enc)
        .where(_held.state == "held", _held.body_enc.is_not(None))
        .order_by(_held.deliver_at)
        .limit(1),
    ),
    (
        "held messages",
        select(_held.body_enc)
        .where(_held.state == "delivering", _held.body_enc.is_not(None))
        .order_by(_held.deliver_at)
        .limit(1),
    ),
    (
        "thread first lines",
        select(_excerpts.excerpt_enc).order_by(_excerpts.expires_at).limit(1),
    ),
    (
        "bot tokens",
        select(_installations.bot_token_enc)
        .where(_installations.bot_token_enc.is_not(None))
        .order_by(_installations.id)
        .limit(1),
    ),
    (
        "user tokens",
        select(_people.user_token_enc)
        .where(_people.user_token_enc.is_not(None))
        .order_by(_people.id)
        .limit(1),
    ),
    (
        "Slack install tokens",
        select(_slack.bot_token).where(_slack.bot_token.is_not(None)).order_by(_slack.id).limit(1),
    ),
    (
        "Slack install tokens",
        select(_slack.user_token)
        .where(_slack.user_token.is_not(None))
        .order_by(_slack.id)
        .limit(1),
    ),
    (
        "Slack install tokens",
        select(_bots.bot_token).where(_bots.bot_token.is_not(None)).order_by(_bots.id).limit(1),
    ),
)


@dataclass(frozen=True)
class KeyCheck:
    """The probe's answer: which kinds of stored value the keys could not read (none: fine)."""

    unreadable: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unreadable

    def describe(self) -> str:
        """One line for operators: ``ok``, or what cannot be read and what to do."""
        if self.ok:
            return "ok"
        return (
            "QUIET_HOURS_SECRET_KEY cannot read the stored data "
            f"({', '.join(self.unreadable)}): {REMEDY}"
        )


class KeysCannotRead(ConfigError):
    """``serve`` refuses to start: the configured keys cannot read the stored data."""


async def check_keys(connection: AsyncConnection, cipher: Cipher) -> KeyCheck:
    """Decrypt one stored sample of each kind with ``cipher``; the schema must be at head.

    Costs at most eight one-row reads. Raises only what the database raises.
    """
    unreadable: list[str] = []
    for kind, query in _SAMPLES:
        if kind in unreadable:
            continue
        value: object = (await connection.execute(query)).scalar()
        if isinstance(value, str):  # slack-sdk's tables keep our ciphertext as ASCII text
            token = value.encode("ascii")
        elif isinstance(value, bytes | memoryview):
            token = bytes(value)
        else:
            continue  # nothing of this kind is stored
        try:
            cipher.decrypt(token)
        except DecryptionError:
            unreadable.append(kind)
    return KeyCheck(tuple(unreadable))

"""The sandbox Slack Web API as a test fixture, checking every call against Slack's own spec."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sandbox.slack_api import FakeSlack, Faults, Message
from adapters.slack.limits import MESSAGE_TEXT, block_kit_problems, view_problems
from bot.storage.crypto import Cipher
from bot.storage.repositories import (
    InstallationRepository,
    PersonRepository,
    TeamRepository,
    WorkspaceRepository,
)
from tests.support.shared import external_json


class SpecViolation(AssertionError):
    """The bot called a Slack method wrongly (unknown method, missing required parameter)."""


@lru_cache(maxsize=1)
def _spec() -> tuple[dict[str, Any], set[str]]:
    required = external_json("slack", "web_api_required_params.json")["methods"]
    openapi = external_json("slack", "web_api_openapi_v2.json")
    known = {path.strip("/") for path in openapi.get("paths", {})}
    return required, known


# The 2021 spec marks nothing required for chat.scheduleMessage; Slack requires these.
EXTRA_REQUIRED = {"chat.scheduleMessage": ["channel", "post_at", "text"]}


#: Methods newer than the 2021 spec, with the arguments their reference pages
#: (docs.slack.dev/reference/methods/<method>) mark required: Slack's external file upload.
NEWER_THAN_SPEC = {
    "files.getUploadURLExternal": ["filename", "length"],
    "files.completeUploadExternal": ["files"],
}


def check_call(method: str, params: dict[str, Any]) -> None:
    required, known = _spec()
    if method not in known and method not in required and method not in NEWER_THAN_SPEC:
        raise SpecViolation(f"{method} is not a Slack Web API method")
    needed = list(required.get(method, {}).get("required", [])) + EXTRA_REQUIRED.get(method, [])
    needed += NEWER_THAN_SPEC.get(method, [])
    missing = [name for name in needed if params.get(name) in (None, "")]
    if missing:
        raise SpecViolation(f"{method} called without required {missing}")


def check_call_with_socket_mode(method: str, params: dict[str, Any]) -> None:
    """``check_call``, knowing ``apps.connections.open`` (newer than the 2021 spec)."""
    if method != "apps.connections.open":
        check_call(method, params)


#: methods that carry a message (blocks and text), and those that carry a view
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
VIEW_METHODS = {"views.open", "views.publish", "views.update", "views.push"}


def check_payload(method: str, params: dict[str, Any]) -> tuple[str, list[str]] | None:
    """What Slack answers a payload that breaks its documented limits (``adapters.slack.limits``):
    ``invalid_blocks`` for blocks, ``msg_too_long`` for text, ``invalid_arguments`` for a view."""
    if method in MESSAGE_METHODS:
        blocks = params.get("blocks")
        if isinstance(blocks, list):
            problems = block_kit_problems(blocks, surface="message")
            if problems:
                return "invalid_blocks", problems
        text = params.get("text")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT:
            return "msg_too_long", [f"text is {len(text)} characters"]
    if method == "chat.scheduleMessage":
        text = params.get("text")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT:
            return "msg_too_long", [f"text is {len(text)} characters"]
    if method in VIEW_METHODS and isinstance(params.get("view"), dict):
        problems = view_problems(params["view"])
        if problems:
            return "invalid_arguments", problems
    return None


def fake_slack(**kwargs: Any) -> FakeSlack:
    """The sandbox Slack Web API, checking each call against Slack's published spec.

    Reads the spec now, so a test without ``shared/`` is skipped here rather than failing
    inside the server.
    """
    _spec()
    kwargs.setdefault("validator", check_call)
    kwargs.setdefault("payload_checker", check_payload)
    kwargs.setdefault("faults", Faults())
    return FakeSlack(**kwargs)


async def install_workspace(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    *,
    token: str,
    now: datetime,
    team: str = "T1",
    team_name: str = "Team",
    channel: str = "C_TEAM",
    hours: str = "mon-fri 08:00-16:00 tz Europe/Oslo",
    leader: str | None = None,
    **policy: Any,
) -> int:
    """A Slack workspace with the app installed and one team watching ``channel``.

    Returns the team's id; ``policy`` sets further team fields (mode, locale, …).
    """
    async with sessions() as session, session.begin():
        workspace = await WorkspaceRepository(session).get_or_create("slack", team, now=now)
        await InstallationRepository(session, cipher).save(workspace.id, bot_token=token, now=now)
        teams = TeamRepository(session)
        row = await teams.create(workspace.id, team_name, now=now, hours_spec=hours, **policy)
        await teams.watch(row, channel)
        if leader is not None:
            person = await PersonRepository(session).get_or_create(workspace.id, leader, now=now)
            await teams.add_leader(row.id, person.id)
        return row.id


def is_guard(message: Message) -> bool:
    """The decision guard's reply in a thread (its blocks carry the guard's block ids)."""
    return any(
        str(block.get("block_id", "")).startswith("guard.") for block in message.blocks or []
    )

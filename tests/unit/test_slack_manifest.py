"""deploy/slack/manifest.yml: complete, and exactly the scopes and events the code uses.

The code is read, not trusted: every Slack Web API call in adapters/slack is found in the
source, mapped to the scopes Slack's own API spec says it needs, and compared with the
manifest — bot scopes for calls made with the bot token, user scopes for the calls auto-hold
makes with a person's token.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from adapters.slack import interactions
from adapters.slack.manifest import EXAMPLE_HOST, manifest_text, render_manifest
from tests.support.shared import external_json

ROOT = Path(__file__).resolve().parents[2]
SLACK = ROOT / "adapters" / "slack"
#: Functions that call Slack with a person's (user) token: auto-hold.
USER_TOKEN_FUNCTIONS = {"take_down", "schedule_as_author", "unschedule", "dm_partner"}
#: Events and the scopes Slack requires to deliver them.
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "app_home_opened": None,
    "app_uninstalled": None,
    "tokens_revoked": None,
    "user_change": "users:read",
    "member_joined_channel": "channels:read",
}
#: Scopes needed by things that are not Web API calls.
FEATURE_SCOPES = {
    "commands": "the /quiet command and the shortcuts",
    "chat:write.public": "held messages delivered to public channels the app was not invited to",
    "im:write": "private notes posted to a person's user id (the app's direct message)",
}
#: slack-sdk helpers that make several Web API calls: the methods they call.
SDK_HELPERS = {
    "files.upload.v2": {"files.getUploadURLExternal", "files.completeUploadExternal"},
}
#: Methods newer than the OpenAPI spec in shared/external, with the scopes their reference
#: pages (docs.slack.dev/reference/methods/<method>) name.
NEWER_THAN_SPEC = {
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
}
# Methods that need no scope, or are not called with a bot/user token at all.
NO_SCOPE = {"auth.test", "oauth.v2.access", "apps.connections.open", "views.open", "views.publish"}


def manifest() -> dict[str, object]:
    return dict(yaml.safe_load((ROOT / "deploy" / "slack" / "manifest.yml").read_text()))


def called_methods() -> tuple[set[str], set[str]]:
    """(methods called with the bot token, methods called with a user token)."""
    bot: set[str] = set()
    user: set[str] = set()
    for path in SLACK.glob("*.py"):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            target = user if function.name in USER_TOKEN_FUNCTIONS else bot
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "client"
                    and "_" in node.func.attr
                ):
                    method = node.func.attr.replace("_", ".")
                    target |= SDK_HELPERS.get(method, {method})
    return bot, user


def scopes_for(method: str) -> set[str]:
    if method in NEWER_THAN_SPEC:
        return NEWER_THAN_SPEC[method]
    spec = external_json("slack", "web_api_openapi_v2.json")
    operation = next(iter(spec["paths"]["/" + method].values()))
    scopes = {
        scope.replace("chat:write:bot", "chat:write").replace("chat:write:user", "chat:write")
        for entry in operation.get("security", [])
        for scope in entry.get("slackAuth", [])
    }
    return scopes - {"none"}


def test_the_deploy_file_is_the_shipped_manifest() -> None:
    assert (ROOT / "deploy" / "slack" / "manifest.yml").read_text() == manifest_text()


def test_every_call_the_code_makes_is_covered_by_a_manifest_scope() -> None:
    bot_calls, user_calls = called_methods()
    assert {"chat.postMessage", "users.info", "dnd.teamInfo", "views.publish"} <= bot_calls
    assert {"chat.delete", "chat.scheduleMessage", "conversations.info"} <= user_calls
    scopes = manifest()["oauth_config"]["scopes"]  # type: ignore[index]
    for calls, granted in ((bot_calls, set(scopes["bot"])), (user_calls, set(scopes["user"]))):
        for method in sorted(calls - NO_SCOPE):
            needed = scopes_for(method)
            if not needed:  # Slack's spec: any token may call it
                continue
            assert needed & granted, f"{method} needs one of {sorted(needed)}"


def test_every_manifest_scope_is_used() -> None:
    bot_calls, user_calls = called_methods()
    settings = manifest()["settings"]["event_subscriptions"]  # type: ignore[index]
    scopes = manifest()["oauth_config"]["scopes"]  # type: ignore[index]
    for calls, events, granted in (
        (bot_calls, settings["bot_events"], scopes["bot"]),
        (user_calls, settings["user_events"], scopes["user"]),
    ):
        justified = {scope for method in calls - NO_SCOPE for scope in scopes_for(method)}
        justified |= {EVENT_SCOPES[event] for event in events if EVENT_SCOPES[event]}
        justified |= set(FEATURE_SCOPES)
        unused = set(granted) - justified
        assert not unused, f"scopes nothing uses: {sorted(unused)}"


def test_events_listened_to_are_subscribed() -> None:
    listened = set()
    for path in SLACK.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                listened.add(str(node.args[0].value))
    bot_events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])  # type: ignore[index]
    expected = {"message.channels", "message.groups"} | (listened - {"message"})
    assert expected == bot_events


def test_command_shortcuts_and_urls_match_the_code() -> None:
    data = manifest()
    features = data["features"]  # type: ignore[index]
    (command,) = features["slash_commands"]
    assert command["command"] == interactions.COMMAND
    assert command["should_escape"] is True  # mentions arrive as <@U…>, which /quiet reads
    assert {s["callback_id"] for s in features["shortcuts"]} == {
        interactions.GLOBAL_SHORTCUT,
        interactions.MESSAGE_SHORTCUT,
    }
    assert features["app_home"]["home_tab_enabled"] is True
    settings = data["settings"]  # type: ignore[index]
    assert settings["event_subscriptions"]["request_url"] == f"{EXAMPLE_HOST}/slack/events"
    assert settings["interactivity"]["request_url"] == f"{EXAMPLE_HOST}/slack/events"
    assert data["oauth_config"]["redirect_urls"] == [f"{EXAMPLE_HOST}/slack/oauth_redirect"]  # type: ignore[index]
    assert len(data["display_information"]["long_description"]) >= 175  # type: ignore[index]


def test_rendered_for_a_server_and_for_socket_mode() -> None:
    served = yaml.safe_load(render_manifest("https://qh.agency.no"))
    assert (
        served["settings"]["event_subscriptions"]["request_url"]
        == "https://qh.agency.no/slack/events"
    )
    socket = yaml.safe_load(render_manifest(socket_mode=True))
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    assert "url" not in socket["features"]["slash_commands"][0]
    assert "redirect_urls" not in socket["oauth_config"]
    with pytest.raises(ValueError, match="https://"):
        render_manifest("http://insecure.example")

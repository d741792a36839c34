"""The storage layer's repositories, by the name they have always been imported under.

Each lives in a module of its own job: :mod:`bot.storage.workspaces` (workspaces and
installations), :mod:`bot.storage.people`, :mod:`bot.storage.team_policies`,
:mod:`bot.storage.seen_events`, :mod:`bot.storage.off_hours` (labels, activity, digests, first
lines), :mod:`bot.storage.urgent`, :mod:`bot.storage.conversations` and
:mod:`bot.storage.key_rotation`.
"""

from __future__ import annotations

from bot.storage.conversations import ConversationRepository
from bot.storage.key_rotation import rotate_encryption
from bot.storage.off_hours import (
    ActivityRepository,
    DigestRepository,
    ExcerptRepository,
    LabelRepository,
)
from bot.storage.people import PersonRepository
from bot.storage.seen_events import SeenEventRepository
from bot.storage.team_policies import TeamRepository
from bot.storage.urgent import UrgentOverrideRepository
from bot.storage.workspaces import InstallationRepository, WorkspaceRepository

__all__ = [
    "ActivityRepository",
    "ConversationRepository",
    "DigestRepository",
    "ExcerptRepository",
    "InstallationRepository",
    "LabelRepository",
    "PersonRepository",
    "SeenEventRepository",
    "TeamRepository",
    "UrgentOverrideRepository",
    "WorkspaceRepository",
    "rotate_encryption",
]

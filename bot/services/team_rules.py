"""Team hours against the team's preset: hard rules refuse the hours, the others warn.

One function for every path that saves a team's hours (`team hours` on Slack and Teams, `team
create` with a preset), so none of them can store hours a jurisdiction preset forbids. Which
rules are hard is the preset's word, grounded in the law it cites (``hard`` in ``policies/``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.hours import WorkingHours
from bot.domain.rest_rules import RuleViolation
from bot.i18n import translate
from bot.presets import Preset, PresetError, load_preset

__all__ = ["MAX_SHOWN", "HoursVerdict", "vet_team_hours"]

#: Problems listed in one answer; the rest are the same kind and only make it longer.
MAX_SHOWN = 5


@dataclass(frozen=True)
class HoursVerdict:
    """What the preset says of some team hours: ``refused`` (hard) and ``warnings`` (soft)."""

    preset: Preset | None
    refused: tuple[RuleViolation, ...] = ()
    warnings: tuple[RuleViolation, ...] = ()

    def refusal_lines(self, locale: str | None) -> list[str]:
        """Each broken hard rule, then the preset and the sources that make it hard."""
        if self.preset is None or not self.refused:
            return []
        lines = [
            translate("cmd.team.hard_rule", locale, problem=v.message(locale))
            for v in self.refused[:MAX_SHOWN]
        ]
        lines.append(
            translate("cmd.team.hard_rule_preset", locale, preset=self.preset.title_in(locale))
        )
        seen: list[str] = []
        for violation in self.refused:
            for source in self.preset.sources_for(violation.code):
                line = translate(
                    "cmd.team.hard_rule_source", locale, cite=source.cite, url=source.url
                )
                if line not in seen:
                    seen.append(line)
        return lines + seen

    def warning_lines(self, locale: str | None) -> list[str]:
        return [
            translate("cmd.team.rule_warning", locale, problem=v.message(locale))
            for v in self.warnings[:MAX_SHOWN]
        ]


def vet_team_hours(preset_name: str | None, hours: WorkingHours) -> HoursVerdict:
    """Check ``hours`` (as the team would keep them, see :meth:`Preset.days_off_for`) against
    the preset named ``preset_name``; no preset, or one no longer shipped, refuses nothing."""
    if not preset_name:
        return HoursVerdict(None)
    try:
        preset = load_preset(preset_name)
    except PresetError:
        return HoursVerdict(None)
    kept = hours.with_days_off(preset.days_off_for(hours))
    found = preset.check_hours(kept)
    return HoursVerdict(
        preset,
        refused=tuple(v for v in found if v.code in preset.hard_rules),
        warnings=tuple(v for v in found if v.code not in preset.hard_rules),
    )

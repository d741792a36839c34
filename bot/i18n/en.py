"""English messages (the fallback catalog: every key lives here)."""

MESSAGES: dict[str, str] = {
    # time formatting
    "weekday.short.0": "Mon",
    "weekday.short.1": "Tue",
    "weekday.short.2": "Wed",
    "weekday.short.3": "Thu",
    "weekday.short.4": "Fri",
    "weekday.short.5": "Sat",
    "weekday.short.6": "Sun",
    "weekday.long.0": "Monday",
    "weekday.long.1": "Tuesday",
    "weekday.long.2": "Wednesday",
    "weekday.long.3": "Thursday",
    "weekday.long.4": "Friday",
    "weekday.long.5": "Saturday",
    "weekday.long.6": "Sunday",
    "month.short.1": "Jan",
    "month.short.2": "Feb",
    "month.short.3": "Mar",
    "month.short.4": "Apr",
    "month.short.5": "May",
    "month.short.6": "Jun",
    "month.short.7": "Jul",
    "month.short.8": "Aug",
    "month.short.9": "Sep",
    "month.short.10": "Oct",
    "month.short.11": "Nov",
    "month.short.12": "Dec",
    "time.weekday_clock": "{day} {clock}",
    "time.date_clock": "{day} {date} {month} {clock}",
    "time.with_zone": "{time} {zone}",
    # hours syntax errors
    "hours.example": "mon-fri 08:00-16:00 tz Europe/Oslo",
    "hours.error.empty": "No hours given. Write them like this: {example}",
    "hours.error.unknown_token": "I don't understand “{token}”. Write hours like this: {example}",
    "hours.error.bad_time": (
        "“{token}” is not a time range. Use 24-hour times such as 08:00-16:00 or 8-16."
    ),
    "hours.error.empty_range": (
        "“{token}” starts and ends at the same time. For a whole day write 00:00-24:00."
    ),
    "hours.error.times_without_days": (
        "“{token}” needs days in front of it, for example: mon-fri {token}"
    ),
    "hours.error.days_without_times": (
        "“{token}” needs hours after it, for example: {token} 08:00-16:00"
    ),
    "hours.error.unknown_zone": (
        "“{token}” is not a time zone I know. Use an IANA name such as Europe/Oslo or "
        "America/New_York."
    ),
    "hours.error.missing_zone": (
        "“{token}” must be followed by a time zone, for example: {token} Europe/Oslo"
    ),
    "hours.error.duplicate_zone": "The time zone is given twice (“{token}”). Give it once.",
    "hours.error.unknown_country": (
        "“{token}” is not a country or region I have holidays for. Use a code such as NO or NO-03."
    ),
    "hours.error.missing_country": (
        "“{token}” must be followed by a country code, for example: {token} NO"
    ),
    "hours.error.twelve_hour_end": (
        "“{token}” would run overnight, from {start} to {end} the next day. Did you mean "
        "{hint}? Hours use the 24-hour clock; for a shift that really ends the next day, write "
        "it in full: {start}-{end}."
    ),
    "hours.error.too_long": "That is too long to be working hours. Write them like this: {example}",
    # decisions
    "decision.deliver.open": "{audience} is within working hours.",
    "decision.deliver.no_policy": "No quiet hours apply here.",
    "decision.deliver.mode_off": "Quiet hours are turned off for {audience}.",
    "decision.deliver.never_opens": (
        "{audience} has no working hours in the next two years, so it is delivered now."
    ),
    "decision.hold": "{audience}'s hours start {when}.",
    "decision.label": "No reply expected — replies are due from {when}.",
    "decision.urgent": "Marked urgent by {sender}: delivered now.",
    "decision.urgent_refused": "Only {who} may mark messages urgent here. {fallback}",
    # whose hours: at least half of a conversation's members (audience members, group DMs)
    "decision.deliver.open.members": "At least half of the channel's {count} members are within their working hours.",
    "decision.deliver.never_opens.members": (
        "Half of the channel's {count} members are never at work at the same time in the next "
        "60 days, so it is delivered now."
    ),
    "decision.hold.members": "Held until half of the channel's {count} members are at work: {when}.",
    "decision.label.members": (
        "No reply expected — half of the channel's {count} members are at work from {when}."
    ),
    "decision.deliver.open.group": "At least half of the group's {count} members are within their working hours.",
    "decision.deliver.never_opens.group": (
        "Half of the group's {count} members are never at work at the same time in the next "
        "60 days, so it is delivered now."
    ),
    "decision.hold.group": "Held until half of the group's {count} members are at work: {when}.",
    "decision.label.group": (
        "No reply expected — half of the group's {count} members are at work from {when}."
    ),
    "urgent.who.leaders": "team leaders",
    "urgent.who.listed": "the people the team policy names",
    "urgent.who.nobody": "nobody",
    "audience.team": "The team {name}",
    # hours check (CLI and support)
    "check.open": "open at {when}",
    "check.closed": "closed at {when}",
    "check.next_open": "next opening: {when}",
    "check.closes": "closes: {when}",
    "check.never": "never within the next two years",
    # policies
    "policy.error.mode_not_allowed": ("The {preset} policy does not allow mode “{mode}”: {why}"),
    # working-time rules (presets)
    "rules.max_daily_hours": "Working hours on {day} come to {actual} h, more than {limit} h a day.",
    "rules.max_weekly_hours": "Working hours come to {actual} h a week, more than {limit} h.",
    "rules.daily_rest": "In the 24 hours from {day} {clock} the longest rest is {actual} h; at least {limit} h in a row is required.",
    "rules.weekly_rest": "The longest rest in the week is {actual} h; at least {limit} h in a row is required.",
    "rules.quiet_night": "Working hours on {day} {start}–{end} run {actual} h into the night ({night}), which must stay free.",
    "rules.sunday_rest": "Working hours on {day} {start}–{end} run {actual} h into the Sunday rest (from {rest_from} until Monday), which must stay free.",
    "rules.public_holidays": "These hours name the public holidays of {named}, but those of {country} are days off here.",
    # delivery failures (told privately to the author)
    "delivery.failed": "Your held message to {conversation} could not be delivered: {reason}",
    "delivery.failed.channel_not_found": "the channel no longer exists. Copy your text from here if you still need it, and send it somewhere else.",
    "delivery.failed.not_in_channel": "Quiet Hours is not a member of that channel. Invite the app to the channel, then write the message again.",
    "delivery.failed.is_archived": "the channel has been archived. Ask a workspace admin to unarchive it, or send the message elsewhere.",
    "delivery.failed.token_revoked": "Quiet Hours was removed from this workspace. Ask an admin to reinstall it.",
    "delivery.failed.invalid_auth": "Quiet Hours is no longer authorised in this workspace. Ask an admin to reinstall it.",
    "delivery.failed.account_inactive": "Quiet Hours is no longer authorised in this workspace. Ask an admin to reinstall it.",
    "delivery.failed.msg_too_long": "the message is too long for the platform. Shorten it and hold it again.",
    "delivery.failed.other": "the platform refused it ({code}). Try sending it again.",
    # digest
    "digest.header": "While you were off: {count} thread(s) in this channel had activity outside working hours since {since}.",
    "digest.thread": "• Thread started {when}: {messages} message(s) from {people} person(s)",
    "digest.decided": " — it looks like something was decided; have your say before it is final",
    "digest.more": "… and {count} more thread(s).",
    "digest.footer": "Nothing here needed an answer outside your hours. Catch up now, in working time.",
    # oauth
    "oauth.title": "Quiet Hours",
    "oauth.installed.heading": "Quiet Hours is installed",
    "oauth.installed.body": "Quiet Hours is now part of {workspace}. In Slack, type /quiet help to set your working hours.",
    "oauth.auto_hold.body": "Auto-hold is on for you: messages you write outside working hours will wait until the people you write to are at work.",
    "oauth.open_slack": "Open Slack",
    "oauth.cancelled.heading": "Installation cancelled",
    "oauth.cancelled.body": "Nothing was installed and nothing was stored. You can start again whenever you like.",
    "oauth.expired.heading": "This install link has expired",
    "oauth.expired.body": "For your security, an install link works once, for a few minutes, in the browser that opened it. Please start again.",
    "oauth.failed.heading": "Installation did not finish",
    "oauth.failed.body": "Slack did not confirm the installation, so nothing was stored. Please try again; if it keeps failing, tell your administrator.",
    "oauth.error.heading": "Something went wrong on our side",
    "oauth.error.body": "The installation could not be completed right now. Please try again in a few minutes; if it keeps failing, tell your administrator.",
    "oauth.start_again": "Start again",
}

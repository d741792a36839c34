"""Norwegian bokmål messages."""

MESSAGES: dict[str, str] = {
    "weekday.short.0": "man.",
    "weekday.short.1": "tir.",
    "weekday.short.2": "ons.",
    "weekday.short.3": "tor.",
    "weekday.short.4": "fre.",
    "weekday.short.5": "lør.",
    "weekday.short.6": "søn.",
    "weekday.long.0": "mandag",
    "weekday.long.1": "tirsdag",
    "weekday.long.2": "onsdag",
    "weekday.long.3": "torsdag",
    "weekday.long.4": "fredag",
    "weekday.long.5": "lørdag",
    "weekday.long.6": "søndag",
    "month.short.1": "jan.",
    "month.short.2": "feb.",
    "month.short.3": "mars",
    "month.short.4": "apr.",
    "month.short.5": "mai",
    "month.short.6": "juni",
    "month.short.7": "juli",
    "month.short.8": "aug.",
    "month.short.9": "sep.",
    "month.short.10": "okt.",
    "month.short.11": "nov.",
    "month.short.12": "des.",
    "time.weekday_clock": "{day} {clock}",
    "time.date_clock": "{day} {date}. {month} {clock}",
    "time.with_zone": "{time} ({zone})",
    "hours.example": "man-fre 08:00-16:00 tz Europe/Oslo",
    "hours.error.empty": "Ingen arbeidstid oppgitt. Skriv den slik: {example}",
    "hours.error.unknown_token": "Jeg forstår ikke «{token}». Skriv arbeidstiden slik: {example}",
    "hours.error.bad_time": (
        "«{token}» er ikke et tidsrom. Bruk 24-timersklokke, for eksempel 08:00-16:00 eller 8-16."
    ),
    "hours.error.empty_range": (
        "«{token}» starter og slutter på samme tid. En hel dag skrives 00:00-24:00."
    ),
    "hours.error.times_without_days": (
        "«{token}» trenger dager foran seg, for eksempel: man-fre {token}"
    ),
    "hours.error.days_without_times": (
        "«{token}» trenger klokkeslett etter seg, for eksempel: {token} 08:00-16:00"
    ),
    "hours.error.unknown_zone": (
        "«{token}» er ikke en tidssone jeg kjenner. Bruk et IANA-navn som Europe/Oslo."
    ),
    "hours.error.missing_zone": (
        "Etter «{token}» må det stå en tidssone, for eksempel: {token} Europe/Oslo"
    ),
    "hours.error.duplicate_zone": "Tidssonen er oppgitt to ganger («{token}»). Oppgi den én gang.",
    "hours.error.unknown_country": (
        "«{token}» er ikke et land eller en region jeg har helligdager for. Bruk en kode som NO "
        "eller NO-03."
    ),
    "hours.error.missing_country": (
        "Etter «{token}» må det stå en landkode, for eksempel: {token} NO"
    ),
    "hours.error.twelve_hour_end": (
        "«{token}» ville gått over natten, fra {start} til {end} neste dag. Mente du {hint}? "
        "Arbeidstiden skrives med 24-timersklokke; for et skift som virkelig slutter neste dag, "
        "skriv det fullt ut: {start}-{end}."
    ),
    "hours.error.too_long": "Det er for langt til å være arbeidstid. Skriv den slik: {example}",
    "decision.deliver.open": "{audience} er innenfor arbeidstiden.",
    "decision.deliver.no_policy": "Ingen stilletid gjelder her.",
    "decision.deliver.mode_off": "Stilletid er slått av for {audience}.",
    "decision.deliver.never_opens": (
        "{audience} har ingen arbeidstid de neste to årene, så meldingen leveres nå."
    ),
    "decision.hold": "Arbeidstiden til {audience} starter {when}.",
    "decision.label": "Ingen svar forventes — svar ventes fra {when}.",
    "decision.urgent": "Merket som haster av {sender}: leveres nå.",
    "decision.urgent_refused": "Bare {who} kan merke meldinger som haster her. {fallback}",
    # whose hours: at least half of a conversation's members (audience members, group DMs)
    "decision.deliver.open.members": "Minst halvparten av kanalens {count} medlemmer er innenfor arbeidstiden sin.",
    "decision.deliver.never_opens.members": (
        "Halvparten av kanalens {count} medlemmer er aldri på jobb samtidig de neste 60 dagene, "
        "så meldingen leveres nå."
    ),
    "decision.hold.members": "Holdes til halvparten av kanalens {count} medlemmer er på jobb: {when}.",
    "decision.label.members": (
        "Ingen svar forventes — halvparten av kanalens {count} medlemmer er på jobb fra {when}."
    ),
    "decision.deliver.open.group": "Minst halvparten av gruppens {count} medlemmer er innenfor arbeidstiden sin.",
    "decision.deliver.never_opens.group": (
        "Halvparten av gruppens {count} medlemmer er aldri på jobb samtidig de neste 60 dagene, "
        "så meldingen leveres nå."
    ),
    "decision.hold.group": "Holdes til halvparten av gruppens {count} medlemmer er på jobb: {when}.",
    "decision.label.group": (
        "Ingen svar forventes — halvparten av gruppens {count} medlemmer er på jobb fra {when}."
    ),
    "urgent.who.leaders": "teamlederne",
    "urgent.who.listed": "de som teamets regler nevner",
    "urgent.who.nobody": "ingen",
    "audience.team": "Teamet {name}",
    "check.open": "åpen {when}",
    "check.closed": "stengt {when}",
    "check.next_open": "neste åpning: {when}",
    "check.closes": "stenger: {when}",
    "check.never": "aldri i løpet av de neste to årene",
    "policy.error.mode_not_allowed": "Regelsettet {preset} tillater ikke modus «{mode}»: {why}",
    # working-time rules (presets)
    "rules.max_daily_hours": "Arbeidstiden {day} er {actual} t, mer enn {limit} t per dag.",
    "rules.max_weekly_hours": "Arbeidstiden er {actual} t i uken, mer enn {limit} t.",
    "rules.daily_rest": "I løpet av 24 timer fra {day} {clock} er den lengste hvilen {actual} t; minst {limit} t sammenhengende kreves.",
    "rules.weekly_rest": "Den lengste hvilen i uken er {actual} t; minst {limit} t sammenhengende kreves.",
    "rules.quiet_night": "Arbeidstiden {day} {start}–{end} går {actual} t inn i natten ({night}), som skal være fri.",
    "rules.sunday_rest": "Arbeidstiden {day} {start}–{end} går {actual} t inn i søndagshvilen (fra {rest_from} til mandag), som skal være fri.",
    "rules.public_holidays": "Denne arbeidstiden bruker helligdagene i {named}, men her er det helligdagene i {country} som er fri.",
    # delivery failures (told privately to the author)
    "delivery.failed": "Den holdte meldingen din til {conversation} kunne ikke leveres: {reason}",
    "delivery.failed.channel_not_found": "kanalen finnes ikke lenger. Kopier teksten herfra hvis du fortsatt trenger den, og send den et annet sted.",
    "delivery.failed.not_in_channel": "Quiet Hours er ikke medlem av kanalen. Inviter appen til kanalen og skriv meldingen på nytt.",
    "delivery.failed.is_archived": "kanalen er arkivert. Be en administrator om å gjenopprette den, eller send meldingen et annet sted.",
    "delivery.failed.token_revoked": "Quiet Hours er fjernet fra arbeidsområdet. Be en administrator om å installere den på nytt.",
    "delivery.failed.invalid_auth": "Quiet Hours har ikke lenger tilgang til arbeidsområdet. Be en administrator om å installere den på nytt.",
    "delivery.failed.account_inactive": "Quiet Hours har ikke lenger tilgang til arbeidsområdet. Be en administrator om å installere den på nytt.",
    "delivery.failed.msg_too_long": "meldingen er for lang for plattformen. Gjør den kortere og hold den på nytt.",
    "delivery.failed.other": "plattformen avviste den ({code}). Prøv å sende den på nytt.",
    # digest
    "digest.header": "Mens du var borte: {count} tråd(er) i denne kanalen hadde aktivitet utenfor arbeidstid siden {since}.",
    "digest.thread": "• Tråd startet {when}: {messages} melding(er) fra {people} person(er)",
    "digest.decided": " — det ser ut som noe ble bestemt; si din mening før det er endelig",
    "digest.more": "… og {count} tråd(er) til.",
    "digest.footer": "Ingenting her krevde svar utenfor arbeidstiden din. Ta det igjen nå, i arbeidstiden.",
    # oauth
    "oauth.title": "Quiet Hours",
    "oauth.installed.heading": "Quiet Hours er installert",
    "oauth.installed.body": "Quiet Hours er nå en del av {workspace}. Skriv /quiet help i Slack for å stille inn arbeidstiden din.",
    "oauth.auto_hold.body": "Automatisk tilbakeholding er slått på for deg: meldinger du skriver utenfor arbeidstid, venter til mottakerne er på jobb.",
    "oauth.open_slack": "Åpne Slack",
    "oauth.cancelled.heading": "Installasjonen ble avbrutt",
    "oauth.cancelled.body": "Ingenting ble installert, og ingenting ble lagret. Du kan begynne på nytt når du vil.",
    "oauth.expired.heading": "Denne installasjonslenken er utløpt",
    "oauth.expired.body": "Av sikkerhetshensyn virker en installasjonslenke én gang, i noen få minutter, i nettleseren som åpnet den. Begynn på nytt.",
    "oauth.failed.heading": "Installasjonen ble ikke fullført",
    "oauth.failed.body": "Slack bekreftet ikke installasjonen, så ingenting ble lagret. Prøv igjen; si fra til administratoren hvis det fortsetter å feile.",
    "oauth.error.heading": "Noe gikk galt hos oss",
    "oauth.error.body": "Installasjonen kunne ikke fullføres akkurat nå. Prøv igjen om noen minutter; si fra til administratoren hvis det fortsetter å feile.",
    "oauth.start_again": "Begynn på nytt",
}

"""Microsoft Teams: the Bot Connector side of the ChatPlatform port and ``POST /api/messages``."""

"""Chat platform adapters (Slack, Teams, sandbox)."""

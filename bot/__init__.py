"""Quiet Hours: a right to disconnect for Slack and Microsoft Teams."""

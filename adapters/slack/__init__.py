"""Slack: slack-bolt and slack-sdk on one side, the core ports on the other."""

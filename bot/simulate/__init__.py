"""The policy simulator: a Slack export replayed through the decisions and digests of serve."""

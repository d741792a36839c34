"""Delivery: the outbox loop, rate limits and retries."""

"""Alembic migration environment, shipped as package data."""

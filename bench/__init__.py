"""Benchmarks, run by hand; results go in the README."""

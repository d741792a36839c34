"""Use cases that talk to ports only."""

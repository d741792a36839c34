"""The sandbox: a local stand-in for a chat platform, for the demo and the tests."""

"""The platform-free core: pure values and rules, no I/O."""

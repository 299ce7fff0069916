"""Emulators of external systems: each module is its own process (``python -m kunruyi_emulators.<name>``)."""

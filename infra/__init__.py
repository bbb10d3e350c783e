"""Local infrastructure helpers (emulators for development and tests)."""

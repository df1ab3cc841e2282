"""The staff API under /api/v1 for hospital systems, authenticated by per-trust bearer tokens."""

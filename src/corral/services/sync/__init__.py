"""Sync: apply the lock to an env (`apply`), its no-op stamp (`stamp`, stdlib only) and the per-Python selection cache (`selection_cache`)."""

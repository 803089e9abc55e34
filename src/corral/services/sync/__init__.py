"""Sync: apply the lock to an env (`apply`), its no-op stamp (`stamp`, stdlib only), the selection cache per Python.

`selection_cache` keeps, per Python, which lock entries were selected, so a no-op sync does not select again.
"""

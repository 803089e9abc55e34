"""The machine-wide inventory of environments: a small SQLite database plus disk-only checks.

Modules::

store.py    the database (WAL, busy timeout, versioned schema), safe under concurrent corral processes
record.py   register_env / touch / forget: what other services call
health.py   one word per env from disk alone: ok / moved / broken / drift / legacy
scan.py     find envs made by any tool (pyvenv.cfg, conda-meta), read-only
size.py     real bytes on disk, hard-linked files counted once
safety.py   the one place that decides whether a folder may be deleted
remove.py   delete through an atomic rename to a trash sibling, then unregister
"""

from __future__ import annotations

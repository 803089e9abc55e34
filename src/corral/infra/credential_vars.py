"""Which environment variables hold a credential: no record, stamp or key of corral's ever holds their value.

uv gives a named index its credentials as `UV_INDEX_<NAME>_USERNAME` / `UV_INDEX_<NAME>_PASSWORD` and takes
`uv publish`'s as `UV_PUBLISH_*` (TOKEN, PASSWORD, USERNAME...): values with no `@`, so a rule that hides only an
index URL's `user:token@` part lets them through. A credential changes who asks an index, not what it serves (uv's
own cache ignores them), so the variables that name one are no input of a lock, a sync or a check: every key that
notes variables leaves them out entirely, and nothing of them is written to a file (the stamps and quick records in
corral's cache, the sync stamp in an env).

Stdlib only, no import at all: `cli.quick`'s path before uv starts uses it.
"""

from __future__ import annotations

__all__ = ["is_credential"]

_CREDENTIAL_PARTS = frozenset({"PASSWORD", "TOKEN", "USERNAME", "SECRET"})
_CREDENTIAL_PREFIXES = ("UV_PUBLISH_",)


def is_credential(name: str) -> bool:
    """Whether the variable `name` holds a credential: its last `_` part names one, or it is one of `uv publish`'s."""
    return name.rpartition("_")[2].upper() in _CREDENTIAL_PARTS or name.startswith(_CREDENTIAL_PREFIXES)

"""Installer engines behind `corral.core.protocols.Installer`: uv (default) and pip.

Both install the same thing the same way: a requirements file of hash-checked lines with dependency
resolution off, `name==version --hash=...` for what the lock took from an index (installed as index
packages) and `name @ url --hash=...` for the rest. See `_reqfile` for why this path rather than the tools'
own pylock.toml readers.
"""

from __future__ import annotations

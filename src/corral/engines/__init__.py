"""Installer engines behind `corral.core.protocols.Installer`: uv (default) and pip.

Both install the same thing the same way: a requirements file of exact `name @ url --hash=sha256:...`
lines with dependency resolution off. See `_reqfile` for why this path rather than the tools' own
pylock.toml readers.
"""

from __future__ import annotations

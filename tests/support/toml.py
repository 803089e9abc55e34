"""`tomllib` on 3.11+, `tomli` (corral's own dependency there) on 3.10: the suite runs on every supported Python."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["tomllib"]

"""The lock file and its inputs fingerprint: the parts of pyproject.toml (and settings) a pylock.toml comes from.

`inputs_hash` is what `corral lock` stores in the lock's `[tool.corral]`; `stored_inputs_hash` reads it back.
Stdlib only (json, hashlib, re): the sync fast path imports this module to decide "nothing to do" without paying
for `packaging` or a TOML parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

from corral.core.names import normalize_name

__all__ = ["LOCK_FILE", "UV_RESOLVER_SETTINGS", "inputs_hash", "stored_inputs_hash"]

LOCK_FILE = "pylock.toml"  # the project's lock (PEP 751), beside pyproject.toml

# uv's own resolver settings of a project ([tool.uv]): a lock that ignored them would pick what `uv lock` would not
# (and what `uv pip install` run in the project then refuses, e.g. `exclude-newer`). resolvers.uv copies exactly
# these into the project it resolves (it imports this list), and the fingerprint covers exactly these.
UV_RESOLVER_SETTINGS = (
    "exclude-newer",
    "exclude-newer-package",
    "prerelease",
    "resolution",
    "override-dependencies",
    "constraint-dependencies",
    "conflicts",
    # the indexes it resolves from (core.uv_indexes), and where the lock must hold (a lock that ignored
    # `environments` failed where `uv lock` succeeds: a dependency only some Pythons can have)
    "index",
    "index-url",
    "extra-index-url",
    "find-links",
    "no-index",
    "index-strategy",
    "environments",
    "required-environments",
    "fork-strategy",
    "dependency-metadata",
    "no-build",
    "no-build-package",
    "no-binary",
    "no-binary-package",
    # how uv reaches those indexes (a self-signed company index, a keyring for its credentials)
    "allow-insecure-host",
    "keyring-provider",
    "native-tls",
)

_HASH_LINE = re.compile(r'^inputs-hash\s*=\s*"(sha256:[0-9a-f]{64})"\s*$', re.MULTILINE)


def inputs_hash(pyproject_data: dict[str, Any], *, default_groups: list[str], index_urls: list[str]) -> str:
    """`sha256:<hex>` over dependencies, extras, groups, requires-python, uv sources and settings, defaults, indexes.

    The payload is canonical JSON (sorted keys, no spaces), so only values count, never TOML formatting or key order.
    `[tool.uv]` resolver settings enter it only when the project states one: a project without them hashes exactly
    as before they were covered, so the locks already written stay fresh.
    """
    from corral.core.urls import strip_credentials  # urllib.parse: not for the no-op paths, which only read the hash

    project = pyproject_data.get("project")
    project = project if isinstance(project, dict) else {}
    tool = pyproject_data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    sources = uv.get("sources") if isinstance(uv, dict) else None
    payload = {
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "dependency-groups": pyproject_data.get("dependency-groups", {}),
        "requires-python": project.get("requires-python"),
        "sources": sources or {},
        "default-groups": sorted({normalize_name(g) for g in default_groups}),
        "index-urls": [strip_credentials(u).rstrip("/") for u in index_urls],
        "format": 1,
    }
    settings = {key: uv[key] for key in UV_RESOLVER_SETTINGS if key in uv} if isinstance(uv, dict) else {}
    if settings:
        payload["uv-settings"] = settings
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    import hashlib  # here: importing it loads OpenSSL (~4 ms); LOCK_FILE and stored_inputs_hash need none

    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def stored_inputs_hash(text: str) -> str | None:
    """The `inputs-hash` corral stored in a pylock.toml's `[tool.corral]`, found in its text without a TOML parser.

    The caller reads the file (`infra.toml_file.read_text` refuses a fifo or a device instead of reading it).
    """
    marker = text.find("[tool.corral]")
    if marker < 0:
        return None
    match = _HASH_LINE.search(text, marker)
    return match.group(1) if match else None

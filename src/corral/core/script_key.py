"""What names a PEP 723 script's cached env: the text its key is the SHA-256 of, and the env's ready mark.

`services.scripts` builds and finds these envs; `cli.script_quick` finds a ready one before the full command line
loads, so this module imports nothing but `_json`'s string encoder (json itself imports re: ~6 ms of start-up).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported on `corral run script.py`'s quick path
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["KEY_ENV_VARS", "LOCK_LIMIT", "READY_FILE", "inputs_text", "key_text"]

READY_FILE = "corral-ready.json"  # written last into a script env: its presence says the env is complete
# The settings that choose the index a script env's packages come from: each is part of the key.
KEY_ENV_VARS = (
    "UV_INDEX_URL",
    "PIP_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "CORRAL_INDEX_URL",
    "CORRAL_EXTRA_INDEX_URLS",
)
LOCK_LIMIT = 64 << 20  # infra.toml_file's cap for a TOML file other than pyproject.toml: a bigger lock is refused
_KEY_SCHEMA = "1"

try:
    from _json import encode_basestring_ascii as _quoted  # what json.dumps writes for a string (ensure_ascii)
except ImportError:  # an interpreter without the C accelerator
    from json.encoder import py_encode_basestring_ascii as _quoted


def inputs_text(block: str, lock_digest: str | None) -> str:
    """What a script env is made from: its block's TOML, plus the SHA-256 (hex) of the lock it is made from, if any."""
    return block if lock_digest is None else f"{block}\n#lock:{lock_digest}"


def key_text(block_toml: str, *, python: str | None, environ: Mapping[str, str], kind: str = "script") -> str:
    """The text a script env's key hashes: everything that decides the env's contents.

    Exactly `json.dumps(parts, sort_keys=True)` of {"schema", "kind", "block", "python", "index": the `KEY_ENV_VARS`
    set in `environ`}, which the key was made of before (so the envs already built keep their names); checked against
    json.dumps in tests/unit/test_script_key.py.
    """
    index = ", ".join(f"{_quoted(name)}: {_quoted(environ[name])}" for name in sorted(KEY_ENV_VARS) if name in environ)
    return (
        f'{{"block": {_quoted(block_toml)}, "index": {{{index}}}, "kind": {_quoted(kind)}, '
        f'"python": {_quoted(python or "")}, "schema": {_quoted(_KEY_SCHEMA)}}}'
    )

"""What names a PEP 723 script's cached env: the parts its key is the SHA-256 of (as JSON), and its ready mark.

`services.scripts` builds and finds these envs; `cli.script_quick` finds a ready one before the full command line
loads (stdlib only: nothing here imports anything). Both spell the parts with `infra.json_text.dumps`
(`json.dumps` without importing json, which imports re: ~6 ms of start-up), sorted keys.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported on `corral run script.py`'s quick path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["KEY_ENV_VARS", "LOCK_LIMIT", "PATH_ENV_VARS", "READY_FILE", "inputs_text", "key_parts"]

READY_FILE = "corral-ready.json"  # written last into a script env: its presence says the env is complete
# The settings that choose the index a script env's packages come from, and how uv resolves them: each is part of
# the key.
KEY_ENV_VARS = (
    "UV_INDEX_URL",
    "PIP_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "CORRAL_INDEX_URL",
    "CORRAL_EXTRA_INDEX_URLS",
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "UV_FIND_LINKS",
    "PIP_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_CONFIG_FILE",
    "UV_NO_CONFIG",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_BUILD_CONSTRAINT",
    "UV_INDEX_STRATEGY",
    "UV_RESOLUTION",
    "UV_PRERELEASE",
    "UV_EXCLUDE_NEWER",
)
# Of those, the ones whose value may name a local folder or file (relative to the working folder when not absolute)
PATH_ENV_VARS = frozenset(KEY_ENV_VARS) - {
    "UV_NO_INDEX",
    "UV_NO_CONFIG",
    "UV_INDEX_STRATEGY",
    "UV_RESOLUTION",
    "UV_PRERELEASE",
    "UV_EXCLUDE_NEWER",
}
LOCK_LIMIT = 64 << 20  # infra.toml_file's cap for a TOML file other than pyproject.toml: a bigger lock is refused
_KEY_SCHEMA = "2"  # 2: the request, the file index, a stale lock's mark; envs made under 1 may be for another Python


def inputs_text(block: str, lock_digest: str | None) -> str:
    """What a script env is made from: its block's TOML, plus the SHA-256 (hex) of the lock it is made from, if any."""
    return block if lock_digest is None else f"{block}\n#lock:{lock_digest}"


def key_parts(
    block_toml: str,
    *,
    python: str | None,
    environ: Mapping[str, str],
    kind: str = "script",
    file_index: Sequence[str] = (),
    uv_config: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Everything that decides a script env's contents: the key is the SHA-256 of its JSON (sorted keys).

    `python`: the interpreter the user asks for (`--python`, the `python` setting, a `.python-version`; None or ""
    when none does: the block's requires-python, which `block_toml` holds, then the newest). `file_index`: the index
    settings a file states (the project's `[tool.corral]`, the user config), `--index-url` / `--extra-index-url`
    arguments as `services.scripts.index_args` gives them; the environment's are read here (`KEY_ENV_VARS`, a
    relative path in one made absolute by the caller). `uv_config`: uv's own configuration files and their digests
    (`infra.uv_config.digests`): an index or find-links one names steers the install too.
    """
    parts: dict[str, object] = {
        "schema": _KEY_SCHEMA,
        "kind": kind,
        "block": block_toml,
        "python": python or "",
        "index": {k: environ[k] for k in KEY_ENV_VARS if k in environ},
    }
    if file_index:
        parts["file-index"] = list(file_index)
    if uv_config:
        parts["uv-config"] = dict(uv_config)
    return parts

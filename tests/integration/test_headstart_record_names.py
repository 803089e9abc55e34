"""A rebuild record's layout names only places inside the env: a name that leads out of it gives no head start.

The rebuild record (`cli.headstart`) is corral's own file in the user's cache, read only when it is the user's
regular file that nobody else may write; still, a damaged or hand-edited one must not make the head start write
outside the env it lays out (`env/../x`, an absolute name, a link inside the env named by such a path). `_parse`
refuses a record whose `dir`, `file` or `link` names are not plain relative paths below the env; the full path
then builds the env the ordinary way. Real CLI, uv and local index (test_headstart's fixtures).
"""

# The fixtures come from the support plugin and test_headstart; parameters shadow nothing here.
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_headstart import events, rebuild, record_of, recorded, took_head_start  # noqa: F401 - a fixture
from test_sync_one_install import cached_index, installed  # noqa: F401 - a fixture (recorded's)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("kind", "name"),
    [("file", "../escaped"), ("dir", "../escaped"), ("link", "../escaped"), ("file", "ABSOLUTE"), ("file", "lib64/x")],
)
def test_a_layout_name_out_of_the_env_gives_no_head_start(
    recorded: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
    kind: str,
    name: str,
) -> None:
    root, log = recorded
    absolute = tmp_path / "escaped-absolute"
    name = str(absolute) if name == "ABSOLUTE" else name
    record = record_of(root)
    lines = record.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("observed "))
    extra = {"file": "00", "dir": "", "link": b"/".hex()}[kind]  # a byte, nothing, a link to "/"
    lines.insert(at, f"{kind} {name.encode().hex()}" + (f" {extra}" if kind != "dir" else ""))
    record.write_text("\n".join(lines), encoding="utf-8")

    seen = rebuild(root, log)

    assert not took_head_start(seen), seen
    assert not (root / "escaped").exists()
    assert not (root / "escaped").is_symlink()
    assert not absolute.exists()
    assert {"alpha", "beta", "delta", "demo", "pip"} <= set(installed(root))

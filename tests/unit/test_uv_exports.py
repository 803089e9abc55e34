"""uv_exports.export_packages: a package an earlier export gave is read from its marker alone, same merged lock."""

from __future__ import annotations

from corral.core.pylock_write import LockDocument, merge_exports, render_pylock
from corral.resolvers.uv_exports import export_packages
from support.toml import tomllib

HASH = "ab" * 32


def entry(name: str, version: str, marker: str | None = None, *, multiline: bool = False) -> str:
    """One package as `uv export --format pylock.toml` writes it."""
    files = f"https://files.example/{name}-{version}"
    wheel = f'{{ url = "{files}-py3-none-any.whl", size = 10, hashes = {{ sha256 = "{HASH}" }} }}'
    hashes = f'hashes = {{ sha256 = "{HASH}" }}'
    sdist = f'{{ url = "{files}.tar.gz", upload-time = 2024-01-02T03:04:05Z, size = 5, {hashes} }}'
    lines = [f'name = "{name}"', f'version = "{version}"']
    if marker:
        lines.append(f'marker = "{marker}"')
    lines += [
        'index = "https://index.example/simple"',
        f"sdist = {sdist}",
        f"wheels = [\n    {wheel},\n]" if multiline else f"wheels = [{wheel}]",
    ]
    return "\n".join(lines)


def export(*entries: str) -> str:
    body = "".join(f"\n[[packages]]\n{e}\n" for e in entries)
    return f'lock-version = "1.0"\ncreated-by = "uv"\nrequires-python = ">=3.10"\n{body}'


DIRECTORY = 'name = "local"\n\n[packages.directory]\npath = "../pkg"\neditable = true'
EXPORTS = [
    (("default", ""), export(entry("alpha", "1.0"), entry("beta", "2.0", "sys_platform == 'win32'"))),
    (
        ("group", "dev"),
        export(
            entry("alpha", "1.0", "python_full_version < '3.11'"),
            entry("beta", "2.0", multiline=True),
            entry("gamma", "3.0", "implementation_name != 'pypy'", multiline=True),
            DIRECTORY,
        ),
    ),
    (("extra", "fast"), export(entry("gamma", "3.0"), entry("alpha", "1.1"), DIRECTORY)),
    (("group", "empty"), export()),
]


def render(packages: list[dict[str, object]]) -> str:
    doc = LockDocument(
        requires_python=">=3.10", extras=[], dependency_groups=[], default_groups=[], packages=packages, inputs_hash="h"
    )
    return render_pylock(doc)


def test_light_reads_merge_into_the_lock_full_parses_give() -> None:
    full = [(selector, tomllib.loads(text).get("packages", [])) for selector, text in EXPORTS]
    seen: set[tuple[str, str, str]] = set()
    fast = [(selector, export_packages(text, seen)) for selector, text in EXPORTS]
    assert render(merge_exports(fast)) == render(merge_exports(full))
    dev = dict(fast)[("group", "dev")]
    assert dev[0] == {"name": "alpha", "version": "1.0", "marker": "python_full_version < '3.11'"}  # seen: light
    assert "wheels" in dev[2] and dev[3]["directory"] == {"path": "../pkg", "editable": True}  # new, or a source
    assert [p["name"] for p in dict(fast)[("extra", "fast")]] == ["gamma", "alpha", "local"]
    assert "wheels" in dict(fast)[("extra", "fast")][1]  # another version: its own files


def test_an_export_in_another_shape_is_parsed_whole() -> None:
    seen = {("alpha", "1.0", "index")}
    odd = (
        'lock-version = "1.0"\n[[packages]]\nversion = "1.0"\nname = "alpha"\nindex = "https://index.example/simple"\n'
    )
    assert export_packages(odd, seen) == tomllib.loads(odd)["packages"]


UV_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.12'",
    "python_full_version < '3.12'",
]

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "beta", marker = "sys_platform == 'win32' or extra == ']'" },
    { name = "Gamma_Two", extra = ["fast"] },
]
sdist = { url = "https://files.example/alpha-1.0.tar.gz", hashes = { sha256 = "x" } }
wheels = [
    { url = "https://files.example/alpha-1.0-py3-none-any.whl", hashes = { sha256 = "x" } },
]

[package.optional-dependencies]
fast = [
    { name = "delta" },
]
slow = [{ name = "epsilon" }]

[[package]]
name = "beta"
version = "2.0"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "delta" }]
wheels = [{ url = "https://files.example/beta-2.0-py3-none-any.whl", hashes = { sha256 = "x" } }]

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "alpha" },
]

[package.dev-dependencies]
dev = [
    { name = "zeta" },
]

[package.metadata]
requires-dist = [{ name = "alpha" }, { name = "omega" }]

[package.metadata.requires-dev]
dev = [{ name = "zeta" }]

[[package]]
name = "delta"
version = "3.0"
source = { registry = "https://index.example/simple" }
"""


def whole_file_graph(text: str) -> dict[str, list[str]]:
    """The graph read from the whole parsed uv.lock: dependencies, then every extra's, names normalized."""
    from corral.core.names import normalize_name

    graph = {}
    for package in tomllib.loads(text)["package"]:
        deps = [*package.get("dependencies", [])]
        for extra in package.get("optional-dependencies", {}).values():
            deps += extra
        graph[normalize_name(package["name"])] = [normalize_name(d["name"]) for d in deps]
    return graph


def test_uv_lock_graph_is_the_graph_of_the_whole_parsed_file() -> None:
    from corral.resolvers.uv_lock_read import uv_lock_graph

    graph = uv_lock_graph(UV_LOCK)
    assert graph == whole_file_graph(UV_LOCK)
    assert graph["alpha"] == ["beta", "gamma-two", "delta", "epsilon"]
    assert graph["demo"] == ["alpha"] and graph["delta"] == []  # not its dev group, not its metadata
    odd = UV_LOCK.replace('dependencies = [{ name = "delta" }]', 'dependencies = [\n    { name = "delta" }]')
    assert uv_lock_graph(odd) == whole_file_graph(odd)  # not uv's layout: the whole file is read

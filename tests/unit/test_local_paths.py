"""Local paths as corral records them (`core.local_paths`, `services.add_remove.path_sources`, the 2.7 lock's
`services.legacy.with_path_source`): relative to the project, so a checkout can move with its siblings."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.core.direct_url import Unrecordable, origin_of
from corral.core.local_paths import PathSource, relative_to_folder
from corral.errors import LockError
from corral.services.add_remove import _without_sources, path_sources, with_sources
from corral.services.legacy import with_path_source


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/w/mono/lib", "../lib"),
        ("/w/mono/app/vendor/x-1.0.whl", "vendor/x-1.0.whl"),
        ("/w/mono/app", "."),
        ("/opt/wheels/x.whl", "../../../opt/wheels/x.whl"),
    ],
)
def test_a_local_path_is_relative_to_the_folder_with_slashes(target: str, expected: str) -> None:
    assert relative_to_folder(target, "/w/mono/app") == expected


def test_paths_given_as_paths_become_bare_names_and_sources() -> None:
    root = Path("/w/mono/app")
    found = [("lib @ file:///w/mono/lib", Path("/w/mono/lib")), ("alpha>=1", None), ("b @ https://h/b.whl", None)]
    assert path_sources(found, root) == (["lib", "alpha>=1", "b @ https://h/b.whl"], {"lib": PathSource("../lib")})
    _, editable = path_sources(found, root, editable=[True, False, False])
    assert editable == {"lib": PathSource("../lib", editable=True)}


_PYPROJECT = """\
# top comment
[project]
name = "app"
version = "1"
dependencies = ["lib", "other"]  # keep me

[tool.uv]
package = true

[tool.uv.sources]
Other = { git = "https://example.org/other" }
"""


def test_a_source_is_added_beside_the_users_and_the_formatting_survives() -> None:
    text = with_sources(_PYPROJECT, {"lib": PathSource("../lib")})
    assert text.startswith(_PYPROJECT.rstrip("\n")), "only appended"
    assert text.endswith('lib = { path = "../lib" }\n')
    assert with_sources(text, {"LIB": PathSource("../lib2")}).count("path =") == 1, "one source per normalized name"
    editable = with_sources(text, {"lib": PathSource("../my lib", editable=True)})
    assert editable.endswith('lib = { path = "../my lib", editable = true }\n')


def test_remove_drops_the_source_only_when_no_requirement_names_it() -> None:
    text = with_sources(_PYPROJECT, {"lib": PathSource("../lib")})
    assert _without_sources(text, ["lib"]) == text, "lib is still a dependency: its source stays"
    gone = text.replace('dependencies = ["lib", "other"]', 'dependencies = ["other"]')
    assert _without_sources(gone, ["lib"]) == gone.replace('lib = { path = "../lib" }\n', "")
    none = gone.replace('["other"]', "[]")
    kept = _without_sources(_without_sources(none, ["lib"]), ["other"])
    assert "[tool.uv.sources]" not in kept and "package = true" in kept and kept.endswith("package = true\n")
    assert _without_sources("[project]\nname = 'a'\n", ["lib"]) == "[project]\nname = 'a'\n"


def test_the_legacy_lock_is_given_the_path_a_source_names() -> None:
    data = {"tool": {"uv": {"sources": {"Lib": {"path": "../lib"}, "g": {"git": "https://h/g"}}}}}
    root, where = Path("/w/mono/app"), "pyproject.toml"
    assert with_path_source("lib[x]>=1; python_version<'3'", data, root, where) == (
        'lib[x] @ file:///w/mono/lib ; python_version < "3"'
    )
    assert with_path_source("alpha", data, root, where) == "alpha"
    with pytest.raises(LockError, match=r"\[tool.uv.sources\].g is not a plain `path` source"):
        with_path_source("g", data, root, where)


def test_an_exported_local_file_names_the_file_not_only_a_version(tmp_path: Path) -> None:
    from corral.services.requirements_io import _requirement

    wheel = {"name": "w", "version": "2.0", "wheels": [{"path": "vendor/w-2.0-py3-none-any.whl", "hashes": {}}]}
    assert _requirement(wheel, tmp_path) == f"w @ {(tmp_path / 'vendor/w-2.0-py3-none-any.whl').as_uri()}", (
        "`w==2.0` would take any file of that name from the index"
    )
    archive = {"name": "a", "version": "1", "archive": {"path": "../a.tar.gz", "hashes": {}}}
    assert _requirement(archive, tmp_path / "p") == f"a @ {(tmp_path / 'a.tar.gz').as_uri()}"
    indexed = {"name": "i", "version": "1", "wheels": [{"url": "https://h/i-1-py3-none-any.whl", "hashes": {}}]}
    assert _requirement(indexed, tmp_path) == "i==1"


def test_a_legacy_lock_without_the_package_a_url_names_is_refused() -> None:
    from corral.services.legacy import _refuse_missing_urls

    exports = [(("default", ""), [{"name": "bar", "directory": {"path": "../lib"}}])]
    with pytest.raises(LockError, match="holds no 'foo'"):
        _refuse_missing_urls([(("default", ""), "foo @ file:///w/lib")], exports, "pyproject.toml")
    _refuse_missing_urls([(("default", ""), "bar @ file:///w/lib")], exports, "pyproject.toml")
    _refuse_missing_urls([(("default", ""), "foo @ file:///w/lib ; python_version > '3'")], exports, "p")
    _refuse_missing_urls([(("default", ""), "alpha>=1")], exports, "pyproject.toml")  # by name: pip-tools decides


_ROOT = "/w/mono/app"
_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"url": "file:///w/mono/lib", "dir_info": {"editable": True}}, ("lib", PathSource("../lib", True))),
        ({"url": "file:///w/mono/lib", "dir_info": {}}, ("lib", PathSource("../lib"))),
        ({"url": "file:///w/my%20lib", "dir_info": {}}, ("lib", PathSource("../../my lib"))),
        ({"url": "file:///w/mono", "dir_info": {}, "subdirectory": "sub/lib"}, ("lib", PathSource("../sub/lib"))),
        (
            {"url": "file:///w/x-1.0-py3-none-any.whl", "archive_info": {}},
            ("lib", PathSource("../../x-1.0-py3-none-any.whl")),
        ),
        (
            {
                "url": "https://g.example/o/lib",
                "vcs_info": {"vcs": "git", "commit_id": _SHA, "requested_revision": "main"},
            },
            (f"lib @ git+https://g.example/o/lib@{_SHA}", None),
        ),
        (
            {"url": "https://g.example/o/r", "vcs_info": {"vcs": "git", "commit_id": _SHA}, "subdirectory": "pkgs/lib"},
            (f"lib @ git+https://g.example/o/r@{_SHA}#subdirectory=pkgs/lib", None),
        ),
        (
            {"url": "https://f.example/lib-1.0.tar.gz", "archive_info": {"hashes": {}}},
            ("lib @ https://f.example/lib-1.0.tar.gz", None),
        ),
        (  # ssh's login name is no secret: the usual way to a private repository
            {"url": "ssh://git@g.example/o/r.git", "vcs_info": {"vcs": "git", "commit_id": _SHA}},
            (f"lib @ git+ssh://git@g.example/o/r.git@{_SHA}", None),
        ),
    ],
)
def test_an_install_by_hand_is_recorded_as_the_source_it_came_from(
    data: dict[str, object], expected: tuple[str, PathSource | None]
) -> None:
    origin = origin_of("lib", data, _ROOT)
    assert (origin.requirement, origin.source) == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({}, "URL is missing"),
        ({"url": 7, "dir_info": {}}, "URL is missing"),
        ({"url": "file:///w/lib"}, "neither a folder nor a file"),
        ({"url": "https://f.example/a.tar.gz ; python_version < '4'", "archive_info": {}}, "spaces"),
        ({"url": "https://f.example/a.tar.gz\n--index-url=https://evil", "archive_info": {}}, "control"),
        ({"url": "https://f.example/a\x0b.tar.gz", "archive_info": {}}, "control"),
        ({"url": "https://user:tok@g.example/r", "vcs_info": {"vcs": "git", "commit_id": _SHA}}, "credentials"),
        ({"url": "https://g.example/r#egg=x", "vcs_info": {"vcs": "git", "commit_id": _SHA}}, "fragment"),
        ({"url": "git@g.example:o/r.git", "vcs_info": {"vcs": "git", "commit_id": _SHA}}, "no scheme"),
        ({"url": "https://g.example/r", "vcs_info": {"vcs": "git", "commit_id": "main"}}, "not a git commit id"),
        ({"url": "https://g.example/r", "vcs_info": {"vcs": "git", "commit_id": "\u0661" * 7}}, "not a git commit"),
        ({"url": "https://g.example/r", "vcs_info": {"vcs": "cvs", "commit_id": "ab"}}, "not git, hg or svn"),
        (
            {"url": "https://g.example/r", "vcs_info": {"vcs": "git", "commit_id": _SHA}, "subdirectory": "../x"},
            "subdir",
        ),
        (
            {"url": "https://g.example/r", "vcs_info": {"vcs": "git", "commit_id": _SHA}, "subdirectory": "/etc"},
            "subdir",
        ),
        ({"url": "ftp://f.example/a.tar.gz", "archive_info": {}}, "ftp URL"),
        ({"url": "file://otherhost/w/lib", "dir_info": {}}, "file URL"),
    ],
)
def test_a_direct_url_record_that_names_no_source_plainly_is_refused_with_why(
    data: dict[str, object], why: str
) -> None:
    with pytest.raises(Unrecordable, match=why):
        origin_of("lib", data, _ROOT)

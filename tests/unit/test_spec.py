from __future__ import annotations

import pytest

from corral.core.interpreter import InterpreterInfo
from corral.core.spec import PythonSpec
from corral.errors import InvalidSpec


def info(version: str, impl: str = "CPython", *, ft: bool = False) -> InterpreterInfo:
    major, minor, micro = (int(p) for p in version.split("."))
    return InterpreterInfo(
        path=f"/x/python{version}",
        realpath=f"/x/python{version}",
        implementation=impl,
        version=version,
        version_info=(major, minor, micro),
        machine="x86_64",
        pointer_bits=64,
        platform="linux",
        prefix="/x",
        base_prefix="/x",
        free_threaded=ft,
    )


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("3.12", "3.12.1", True),
        ("3.12", "3.13.0", False),
        ("3", "3.9.18", True),
        ("3", "2.7.18", False),
        ("2.7", "2.7.18", True),
        ("3.11.7", "3.11.7", True),
        ("3.11.7", "3.11.2", False),
        (">=3.9,<3.12", "3.11.7", True),
        (">=3.9,<3.12", "3.12.1", False),
        ("cpython@3.11", "3.11.2", True),
        ("cpython3.11", "3.11.2", True),
        ("cp311", "3.11.2", True),
        ("py312", "3.11.2", False),
        ("cpython", "3.13.0", True),
        ("~=3.10", "3.13.0", True),
    ],
)
def test_spec_matches_versions(text: str, version: str, expected: bool) -> None:
    assert PythonSpec.parse(text).matches(info(version)) is expected


def test_implementation_must_match() -> None:
    assert not PythonSpec.parse("pypy3.10").matches(info("3.10.13"))
    assert PythonSpec.parse("pypy3.10").matches(info("3.10.13", "PyPy"))


def test_free_threaded_suffix_selects_free_threaded_builds() -> None:
    spec = PythonSpec.parse("3.13t")
    assert spec.matches(info("3.13.0", ft=True))
    assert not spec.matches(info("3.13.0"))


@pytest.mark.parametrize("text", ["./bin/python", "/usr/bin/python3", "~/py/bin/python", "C:\\Python312\\python.exe"])
def test_paths_are_path_specs(text: str) -> None:
    assert PythonSpec.parse(text).path == text


@pytest.mark.parametrize("text", ["", "banana", "3.x", ">=three", "cpython@x", "3..1"])
def test_bad_specs_raise_with_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidSpec, match="use a version"):
        PythonSpec.parse(text)

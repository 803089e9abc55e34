"""core.marker_select.specialize: a pylock marker fixed for one selection of extras and groups."""

from __future__ import annotations

from corral.core.marker_select import specialize

# as corral's lock writes a package that two selected groups and an extra bring, on old Pythons only
MARKER = (
    "('async' in extras and python_full_version < '3.11') or ('tests' in dependency_groups and "
    "python_full_version < '3.11') or ('typing' in dependency_groups and python_full_version < '3.11')"
)


def test_the_selection_decides_or_leaves_the_environment_part() -> None:
    assert specialize(None, extras=(), groups=()) is True
    assert specialize("'dev' in dependency_groups", extras=(), groups=("dev",)) is True
    assert specialize("'dev' in dependency_groups", extras=(), groups=()) is False
    assert specialize(MARKER, extras=(), groups=()) is False
    assert specialize(MARKER, extras=(), groups=("tests",)) == "python_full_version < '3.11'"


def test_the_same_environment_part_from_two_selected_groups_is_said_once() -> None:
    # `corral export` of flask's default groups wrote "python_full_version < '3.11' or python_full_version < '3.11'"
    assert specialize(MARKER, extras=("async",), groups=("tests", "typing")) == "python_full_version < '3.11'"
    two = "('a' in dependency_groups and os_name == 'nt') or ('b' in dependency_groups and sys_platform == 'win32')"
    assert specialize(two, extras=(), groups=("a", "b")) == "os_name == 'nt' or sys_platform == 'win32'"

"""services.scripts.anchor_requirement: a relative path in a `run --with` or PEP 723 requirement means the folder the
user stands in (uv starts in `/`: it read `six @ ../six.whl` as `/../six.whl`); everything else passes unchanged."""

from __future__ import annotations

import pytest

from corral.services.scripts import anchor_requirement

BASE = "/home/u/proj"


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("six @ ../six-1.17.0-py2.py3-none-any.whl", "six @ /home/u/six-1.17.0-py2.py3-none-any.whl"),
        (
            "lib[fast] @ ./vendor/lib ; python_version > '3'",
            "lib[fast] @ /home/u/proj/vendor/lib ; python_version > '3'",
        ),
        ("./pkg", "/home/u/proj/pkg"),
        ("../other/dist/x-1.0-py3-none-any.whl", "/home/u/other/dist/x-1.0-py3-none-any.whl"),
        ("six", "six"),
        ("zope.interface>=5", "zope.interface>=5"),
        ("requests[socks]>=2 ; sys_platform == 'linux'", "requests[socks]>=2 ; sys_platform == 'linux'"),
        ("six @ https://host/six-1.17.0-py2.py3-none-any.whl", "six @ https://host/six-1.17.0-py2.py3-none-any.whl"),
        ("six @ file:///w/six.whl", "six @ file:///w/six.whl"),
        ("/abs/pkg", "/abs/pkg"),
        ("six @ /abs/six.whl", "six @ /abs/six.whl"),
        ("~/pkg", "~/pkg"),
    ],
)
def test_relative_paths_are_anchored_and_nothing_else_changes(requirement: str, expected: str) -> None:
    assert anchor_requirement(requirement, BASE) == expected

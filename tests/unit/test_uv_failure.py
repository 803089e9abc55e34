"""resolvers.uv_failure.resolve_failure: uv's error in one paragraph, with the requirement to blame and uv's hints."""

from __future__ import annotations

from corral.resolvers.uv_failure import resolve_failure

_STDERR = """\
Using CPython 3.12.1 interpreter at: /usr/bin/python3.12
  x No solution found when resolving dependencies for split (markers: python_full_version == '3.9.*'):
  `-> Because the requested Python version (>=3.9) does not satisfy Python>=3.10 and alabaster==1.0.0 depends
      on Python>=3.10, we can conclude that alabaster==1.0.0 cannot be used.
      And because only alabaster<=1.0.0 is available and your project depends on alabaster==1.0.0, we can
      conclude that your project's requirements are unsatisfiable.

      hint: The `requires-python` value (>=3.9) includes Python versions that are not supported by your
      dependencies (e.g., alabaster==1.0.0 only supports >=3.10). Consider using a more restrictive
      `requires-python` value (like >=3.10).
"""


def test_uvs_hint_survives_the_shortened_reason_and_the_culprit_is_named() -> None:
    culprit, reason = resolve_failure(_STDERR, ["alabaster==1.0.0", "six"])
    assert culprit == "alabaster==1.0.0"
    assert "Using CPython" not in reason
    assert reason.endswith(
        "hint: The `requires-python` value (>=3.9) includes Python versions that are not supported by your "
        "dependencies (e.g., alabaster==1.0.0 only supports >=3.10). Consider using a more restrictive "
        "`requires-python` value (like >=3.10)."
    )
    assert resolve_failure("")[1] == "uv gave no reason"

"""engines._build_output: the lines of uv's and pip's output a failed build is reported with (text only)."""

from __future__ import annotations

from pathlib import Path

from corral.engines._build_output import backend_failed, built_project, summary

UV_BACKEND_FAILED = """Using Python 3.12.1 environment at: /work/proj/.venv
Resolved 1 package in 6ms
   Building demo @ file:///work/proj
error: Failed to build `demo @ file:///work/proj`
  cause: The build backend returned an error
  cause: Call to `setuptools.build_meta.get_requires_for_build_editable` failed (exit status: 1)

         [stdout]
         building the thing...

         [stderr]
         Traceback (most recent call last):
           File "<string>", line 14, in <module>
           File "/work/proj/setup.py", line 2
             setup(
                  ^
         SyntaxError: '(' was never closed

hint: Build failures usually indicate a problem with the package or the build environment
"""

UV_OFFLINE = """   Building demo @ file:///work/proj
error: Failed to build `demo @ file:///work/proj`
  cause: Failed to resolve requirements from `build-system.requires`
  cause: No solution found when resolving: `setuptools>=61`
  cause: Because setuptools was not found in the cache and you require setuptools>=61, we can conclude that your \
requirements are unsatisfiable.

hint: Packages were unavailable because the network was disabled.
"""

PIP_BACKEND_FAILED = """Obtaining file:///work/proj
  Getting requirements to build editable: finished with status 'error'
  error: subprocess-exited-with-error

  \u00d7 Getting requirements to build editable did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [4 lines of output]
      building the thing...
      ctl: \x1b[31mred\x1b[0m end
      Traceback (most recent call last):
      RuntimeError: backend exploded
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: subprocess-exited-with-error

\u00d7 Getting requirements to build editable did not run successfully.
\u2502 exit code: 1
\u2570\u2500> See above for output.
"""


def test_a_backend_that_ran_and_failed_is_told_from_one_whose_requirements_were_missing() -> None:
    assert backend_failed(UV_BACKEND_FAILED)
    assert backend_failed(PIP_BACKEND_FAILED)
    assert not backend_failed(UV_OFFLINE)


def test_the_failed_build_is_the_project_only_when_uv_names_its_folder() -> None:
    assert built_project(UV_BACKEND_FAILED, Path("/work/proj"))
    assert not built_project(UV_BACKEND_FAILED, Path("/work/other"))
    assert not built_project("error: Failed to build `sdistpkg==1.0`\n", Path("/work/proj"))


def test_uvs_summary_holds_its_own_lines_then_the_backends_last_lines_without_carets() -> None:
    assert summary(UV_BACKEND_FAILED) == (
        "Failed to build `demo @ file:///work/proj` | The build backend returned an error"
        " | Call to `setuptools.build_meta.get_requires_for_build_editable` failed (exit status: 1)"
        ' | Traceback (most recent call last): | File "<string>", line 14, in <module>'
        " | File \"/work/proj/setup.py\", line 2 | setup( | SyntaxError: '(' was never closed"
    )


def test_pips_summary_names_the_hook_once_and_ends_with_the_backends_error() -> None:
    text = summary(PIP_BACKEND_FAILED)
    assert text.startswith("Getting requirements to build editable did not run successfully. | exit code: 1 | ")
    assert text.count("did not run successfully") == 1
    assert text.endswith("RuntimeError: backend exploded")


def test_the_backends_output_is_bounded_in_lines_and_width() -> None:
    noisy = UV_BACKEND_FAILED.replace(
        "         Traceback", "".join(f"         noise {n} {'x' * 1000}\n" for n in range(500)) + "         Traceback"
    )
    text = summary(noisy)
    assert len(text) < 3000
    assert "noise 499" in text
    assert "noise 490" not in text
    assert text.endswith("SyntaxError: '(' was never closed")


def test_output_in_no_known_shape_keeps_its_last_lines() -> None:
    assert summary("one\ntwo\nthree\nfour\n") == "two | three | four"
    assert summary("") == "no output"

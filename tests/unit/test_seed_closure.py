"""The seed packages' own dependencies count as seeded: `uv venv --seed` on Python < 3.12 puts wheel in, which
needs packaging; a sync must not remove packaging as "not in the lock" (it broke the seeded wheel)."""

from __future__ import annotations

from pathlib import Path

from corral.services.inspection import seed_closure


def dist(site: Path, name: str, version: str, *requires: str) -> None:
    meta = site / f"{name}-{version}.dist-info"
    meta.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (meta / "METADATA").write_text("\n".join(lines) + "\n\nDescription body\nRequires-Dist: ignored\n", "utf-8")


def test_what_wheel_needs_is_kept_with_the_seed_packages(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist(site, "pip", "26.3")
    dist(site, "setuptools", "84.2.1", 'pytest>=6; extra == "test"', 'jaraco.text>=3.7; extra == "core"')
    dist(site, "wheel", "0.48.0", "packaging>=24.0")
    dist(site, "packaging", "26.4")
    dist(site, "pytest", "9.0")
    dist(site, "jaraco.text", "4.0")
    dist(site, "ignored", "1")
    dist(site, "stray", "1", "packaging")
    assert seed_closure([site]) == {"pip", "setuptools", "wheel", "distribute", "packaging"}


def test_a_requirement_that_is_not_installed_adds_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist(site, "wheel", "0.48.0", "Packaging (>=24.0)")
    assert seed_closure([site]) == {"pip", "setuptools", "wheel", "distribute"}
    dist(site, "packaging", "26.4")
    assert "packaging" in seed_closure([site])


def test_an_unreadable_site_folder_gives_the_plain_seed_set(tmp_path: Path) -> None:
    assert seed_closure([tmp_path / "missing"]) == {"pip", "setuptools", "wheel", "distribute"}

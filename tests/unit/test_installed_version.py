"""One distribution's version read from its own metadata folder: what `installed_distributions` says for it."""

from __future__ import annotations

from pathlib import Path

from corral.services.inspection import installed_distributions, installed_version
from corral.services.seed import seeded_pip


def _dist(site: Path, folder: str, metadata: str | None) -> None:
    meta = site / folder
    meta.mkdir(parents=True)
    if metadata is not None:
        (meta / ("PKG-INFO" if folder.endswith(".egg-info") else "METADATA")).write_text(metadata, "utf-8")


def _pip_as_all_say(site: Path) -> str | None:
    return next((v for n, v in installed_distributions([site]).items() if n.lower() == "pip"), None)


def test_the_version_is_the_one_the_full_listing_gives(tmp_path: Path) -> None:
    # given
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    _dist(site, "pip-26.1.dist-info", "Metadata-Version: 2.1\nName: pip\nVersion: 26.1\n\nbody\nVersion: 0\n")
    _dist(site, "pipx-1.0.dist-info", "Name: pipx\nVersion: 1.0\n")
    _dist(site, "httpx-0.28.1.dist-info", "Name: httpx\nVersion: 0.28.1\n")
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n", "utf-8")
    # when / then
    assert installed_version([site], "pip") == "26.1" == _pip_as_all_say(site)
    assert seeded_pip(tmp_path) == "26.1"
    assert installed_version([site], "pipx") == "1.0"
    assert installed_version([site], "setuptools") is None


def test_a_folder_without_metadata_is_named_by_its_own_name(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "pip-24.0.dist-info", None)
    assert installed_version([site], "pip") == "24.0" == _pip_as_all_say(site)


def test_another_spelling_and_egg_info_count(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "PIP.egg-info", "Name: PIP\nVersion: 9.0\n")
    assert installed_version([site], "pip") == "9.0" == _pip_as_all_say(site)


def test_no_pip_is_none(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    assert installed_version([site], "pip") is None
    assert installed_version([], "pip") is None

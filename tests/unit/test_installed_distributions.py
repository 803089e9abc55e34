"""services.inspection.installed_distributions: {name: version} from the metadata folders of a site-packages."""

from __future__ import annotations

from pathlib import Path

from corral.services.inspection import installed_distributions


def _meta(site: Path, folder: str, text: str | None, file: str = "METADATA") -> None:
    (site / folder).mkdir(parents=True)
    if text is not None:
        (site / folder / file).write_text(text, encoding="utf-8")


def test_names_and_versions_come_from_the_headers_only(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _meta(site, "Foo_Bar-1.0.dist-info", "Metadata-Version: 2.1\nName: Foo-Bar\nVersion: 1.0\n\nName: not-this\n")
    _meta(site, "late-2.0.dist-info", "Name: late\nSummary: x\n  \nVersion: 9.9\n")  # a blank line ends the headers
    _meta(site, "crlf-3.0.dist-info", "Name: crlf\r\nVersion: 3.0\r\n\r\nVersion: 4\r\n")
    _meta(site, "nofile-0.5.dist-info", None)  # no METADATA: the folder's name says it
    _meta(site, "old-0.1.egg-info", "Name: old\nVersion: 0.1", file="PKG-INFO")  # no newline at the end
    _meta(site, ".dist-info", "Name: hidden\nVersion: 1\n")  # a dot file, not a distribution
    _meta(site, "pkg", "Name: pkg\nVersion: 1\n")
    assert installed_distributions([site]) == {
        "Foo-Bar": "1.0",
        "late": "?",
        "crlf": "3.0",
        "nofile": "0.5",
        "old": "0.1",
    }


def test_a_later_folder_of_the_same_name_wins_in_name_order(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _meta(site, "same-1.0.dist-info", "Name: same\nVersion: 1.0\n")
    _meta(site, "same-2.0.dist-info", "Name: same\nVersion: 2.0\n")
    assert installed_distributions([site]) == {"same": "2.0"}


def test_an_egg_link_reads_the_metadata_in_the_folder_it_names(tmp_path: Path) -> None:
    # pip's editable install on Python 2.7 (`setup.py develop`): no metadata in site-packages, a link file instead
    site, src = tmp_path / "site-packages", tmp_path / "lib" / "src"
    _meta(src, "my_lib.egg-info", "Name: my-lib\nVersion: 1.2\n", file="PKG-INFO")
    site.mkdir()
    (site / "my-lib.egg-link").write_text(f"{src}\n../\n", encoding="utf-8")
    (site / "gone.egg-link").write_text(f"{tmp_path / 'nowhere'}\n.", encoding="utf-8")  # its folder was deleted
    (site / "empty.egg-link").write_text("", encoding="utf-8")
    assert installed_distributions([site]) == {"my-lib": "1.2", "gone": "?", "empty": "?"}

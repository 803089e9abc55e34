"""SyncPlan: the difference between the chosen lock entries and an env's installed distributions."""

from __future__ import annotations

from corral.core.plan import SEED_PACKAGES, SyncPlan
from corral.core.pylock_select import Chosen


def chosen(name: str, version: str) -> Chosen:
    """A wheel entry."""
    return Chosen(
        name=name,
        version=version,
        kind="wheel",
        url=f"https://x/{name}-{version}.whl",
        sha256="0" * 64,
        filename=f"{name}-{version}.whl",
    )


def test_new_changed_unchanged_and_extraneous_are_told_apart() -> None:
    plan = SyncPlan.diff(
        [chosen("alpha", "1.1"), chosen("beta", "1.0"), chosen("gamma", "1.0")],
        {"alpha": "1.0", "Beta": "1.0", "stray": "3.0"},
    )
    assert [c.name for c in plan.install] == ["gamma"]
    assert [(n, old, c.version) for n, old, c in plan.change] == [("alpha", "1.0", "1.1")]
    assert plan.unchanged == ("beta",)
    assert plan.remove == (("stray", "3.0"),)
    assert [c.name for c in plan.to_install] == ["gamma", "alpha"]
    assert not plan.empty


def test_names_and_versions_compare_normalized() -> None:
    plan = SyncPlan.diff([chosen("zope-interface", "6.0")], {"zope.interface": "6.0.0"})
    assert plan.empty
    assert plan.unchanged == ("zope-interface",)


def test_seed_packages_and_the_project_are_kept_not_removed() -> None:
    plan = SyncPlan.diff(
        [chosen("alpha", "1.0")],
        {"alpha": "1.0", "pip": "26.3", "setuptools": "80", "demo": "0.1.0", "stray": "1"},
        keep=SEED_PACKAGES | {"demo"},
    )
    assert plan.remove == (("stray", "1"),)
    assert set(plan.kept) == {"pip", "setuptools", "demo"}


def test_seed_packages_are_removed_from_an_unseeded_env() -> None:
    plan = SyncPlan.diff([], {"pip": "26.3"})
    assert plan.remove == (("pip", "26.3"),)


def test_a_locked_seed_package_is_changed_to_the_locked_version() -> None:
    plan = SyncPlan.diff([chosen("pip", "24.0")], {"pip": "26.3"}, keep=SEED_PACKAGES)
    assert [(n, old, c.version) for n, old, c in plan.change] == [("pip", "26.3", "24.0")]


def test_reinstall_forces_a_same_version_package_back_in() -> None:
    plan = SyncPlan.diff([chosen("alpha", "1.0")], {"alpha": "1.0"}, reinstall=["alpha"])
    assert [n for n, _, _ in plan.change] == ["alpha"]


def test_an_empty_env_and_an_empty_lock_make_an_empty_plan() -> None:
    assert SyncPlan.diff([], {}).empty

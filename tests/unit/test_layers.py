"""The import contracts in pyproject.toml: declared as docs/architecture.md draws them, and kept by the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import missing
from support.toml import tomllib

ROOT = Path(__file__).resolve().parents[2]
LAYERS = "layers"
INDEPENDENT = "plugin families are independent"
FAMILIES = {"corral.creators", "corral.engines", "corral.resolvers", "corral.shells"}


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_the_layers_and_the_independence_of_the_plugin_families_are_declared() -> None:
    contracts = _contracts()
    layers = contracts[LAYERS]
    assert layers["type"] == "layers"
    assert layers["containers"] == ["corral"]
    order = [{name.strip() for name in layer.split("|")} for layer in layers["layers"]]
    assert order[0] == {"cli"}
    assert order[-1] == {"errors"}
    above = [layer for layer in order if layer <= {"cli", "render", "services", "doctor", "plugins"}]
    assert [next(iter(layer)) for layer in above] == ["cli", "render", "services", "doctor", "plugins"]
    families = next(layer for layer in order if "engines" in layer)
    assert {"creators", "engines", "resolvers", "shells", "inventory", "kernels"} <= families
    assert order.index(families) < order.index({"infra"}) < order.index({"core"})
    # only the one upward import the contract names may be ignored, never a whole package
    assert all(" -> " in rule and "*" not in rule for rule in layers.get("ignore_imports", []))
    independent = contracts[INDEPENDENT]
    assert independent["type"] == "independence"
    assert set(independent["modules"]) >= FAMILIES


def test_layer_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        missing("import-linter (the test dependency group)")
    done = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "0 broken" in done.stdout
    for name in _contracts():
        assert f"\n{name} KEPT" in done.stdout, f"contract {name!r} was not checked"

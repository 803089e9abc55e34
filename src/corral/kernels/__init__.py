"""Jupyter kernelspecs tied to corral envs: where Jupyter looks (paths), what a spec holds (spec), what is on disk (registry)."""

from __future__ import annotations

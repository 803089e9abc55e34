"""Jupyter kernelspecs tied to corral envs: where Jupyter looks, what a spec holds, what is on disk."""

from __future__ import annotations

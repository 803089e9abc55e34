"""Thin I/O adapters (processes, files, TOML, locations) with no domain decisions."""

"""A stand-in for pluggy in corral's tests: its version comes from git (setuptools-scm)."""

"""Environment creators behind core.protocols.Creator (uv, stdlib venv; virtualenv for legacy)."""

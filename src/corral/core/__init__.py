"""Pure models and rules: stdlib and `packaging` only, no I/O at import time."""

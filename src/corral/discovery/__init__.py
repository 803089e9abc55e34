"""Find every Python interpreter on the machine and identify each once (cached)."""

"""One module per shell language behind `corral.core.protocols.Shell`; templates sit next to their class."""

from __future__ import annotations

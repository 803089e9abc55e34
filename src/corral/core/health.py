"""Findings of `corral doctor`: what is wrong, how bad, and the exact command that fixes it."""

from __future__ import annotations

from typing import Any

from corral.core.frozen import Frozen

__all__ = ["SEVERITIES", "Finding", "Report"]

SEVERITIES = ("error", "warning", "info")


class Finding(Frozen):
    """One problem (or fact) found by a check; `fix` is the exact command a user would run ("" when none).

    Immutable (`core.frozen`: no dataclasses import on doctor's path).
    """

    __slots__ = ("code", "details", "fix", "message", "severity")
    code: str
    severity: str
    message: str
    fix: str
    details: dict[str, Any]

    def __init__(
        self, *, code: str, severity: str, message: str, fix: str = "", details: dict[str, Any] | None = None
    ) -> None:
        if severity not in SEVERITIES:
            msg = f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}"
            raise ValueError(msg)
        self._set(code=code, severity=severity, message=message, fix=fix, details={} if details is None else details)

    @property
    def is_problem(self) -> bool:
        """Errors and warnings make doctor exit non-zero; info does not."""
        return self.severity in {"error", "warning"}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "details": dict(self.details),
        }


class Report(Frozen):
    """Every finding for one env (checks never stop at the first problem)."""

    __slots__ = ("env", "findings", "skipped")
    env: str
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]

    def __init__(self, *, env: str, findings: tuple[Finding, ...] = (), skipped: tuple[str, ...] = ()) -> None:
        self._set(env=env, findings=findings, skipped=skipped)

    @property
    def ok(self) -> bool:
        """No error and no warning."""
        return not any(f.is_problem for f in self.findings)

    def codes(self) -> list[str]:
        """The codes found, in order."""
        return [f.code for f in self.findings]

    def sorted(self) -> list[Finding]:
        """Errors first, then warnings, then info (stable within a severity)."""
        return sorted(self.findings, key=lambda f: SEVERITIES.index(f.severity))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.sorted()],
            "skipped": list(self.skipped),
        }

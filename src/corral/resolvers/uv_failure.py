"""What uv's words say went wrong: the requirement to blame and why, a name no index has, a missing extra."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from corral.core.names import normalize_name
from corral.errors import LockError

__all__ = ["refuse_missing_extras", "requirement_name", "resolve_failure", "unknown_project"]


def resolve_failure(text: str, candidates: Iterable[str] = ()) -> tuple[str | None, str]:
    """(the candidate requirement a resolver's error names, a one-paragraph reason) from its stderr."""
    noise = ("Using ", "WARN", "Resolved", "Building", "Built", "Updated", "Added", "Removed", "Prepared")
    reasons: list[str] = []
    hints: list[str] = []  # uv's way out ("Consider using a more restrictive requires-python"): always kept
    in_hint = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("hint:"):
            hints.append(line.removeprefix("hint:").strip())
            in_hint = True
            continue
        if in_hint and line:  # a hint wrapped over lines: one hint
            hints[-1] += " " + line
            continue
        in_hint = False
        for prefix in ("error:", "cause:", "\u00d7", "\u2570\u2500\u25b6"):
            line = line.removeprefix(prefix).strip()
        if line and not line.startswith(noise) and line != "No solution found when resolving dependencies":
            reasons.append(line)
    kept = reasons[:4] + [f"hint: {h}" for h in hints[:2]]
    reason = " ".join(kept) or "uv gave no reason"
    lowered = text.lower()
    for candidate in candidates:
        name = requirement_name(candidate)
        if name and (name in lowered or name.replace("-", "_") in lowered):
            return candidate, reason
    return None, reason


_NOT_FOUND = re.compile(r"Because ([A-Za-z0-9._-]+) was not found in the package registry")


def unknown_project(stderr: str, culprit: str | None, index_urls: list[str]) -> str | None:
    """For a requested name no index has: that, and the closest names the indexes list (when they answer)."""
    found = _NOT_FOUND.search(stderr)
    name = requirement_name(culprit) if culprit else None
    if found is None or name is None or normalize_name(found.group(1)) != name:
        return None
    from corral.core.urls import strip_credentials
    from corral.infra.simple_index import close_names

    close = close_names(index_urls, name)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "check the name's spelling"
    return f"no project named {name!r} on {', '.join(map(strip_credentials, index_urls))}; {hint}"


def requirement_name(text: str) -> str | None:
    """The normalized name of a PEP 508 requirement, None when it does not parse."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return normalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def refuse_missing_extras(stderr: str, candidates: Sequence[str]) -> None:
    """Uv only warns about an extra a package lacks; a requirement being added with one is an error."""
    from packaging.requirements import InvalidRequirement, Requirement

    lacking = {
        (normalize_name(pkg.split("==")[0]), normalize_name(extra))
        for pkg, extra in re.findall(r"package `([^`]+)` does not have an extra named `([^`]+)`", stderr)
    }
    for text in candidates:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        for extra in sorted(req.extras):
            if (normalize_name(req.name), normalize_name(extra)) in lacking:
                msg = f"cannot add {text!r}: {req.name} has no extra named {extra!r}; drop [{extra}] or check its name"
                raise LockError(msg)

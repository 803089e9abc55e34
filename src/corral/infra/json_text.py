"""`json.dumps` of corral's records without importing json (its decoder imports re, and re imports enum).

On the rebuild replay's path (`cli.rebuild_replay`, while uv installs) those imports cost more CPU than the writes
themselves. `dumps` runs CPython's C encoder (`_json.make_encoder`, what `json.dumps` runs without `indent`);
`dumps_indented` is `json.dumps(value, indent=2, sort_keys=True)` for the values `json.loads` gives (dicts with text
keys, lists, text, numbers, booleans, None). Both give the very text json gives (tests/unit/test_json_text.py);
anything else (another key type, an interpreter without `_json`) is handed to json itself.
"""

from __future__ import annotations

__all__ = ["dumps", "dumps_indented"]


def _refuse(value: object) -> object:
    msg = f"Object of type {type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def dumps(value: object, *, sort_keys: bool = False) -> str:
    """`json.dumps(value, sort_keys=sort_keys)`: ASCII, `", "` and `": "` between items, NaN allowed."""
    try:
        from _json import encode_basestring_ascii, make_encoder  # type: ignore[attr-defined, unused-ignore]
    except ImportError:  # pragma: no cover - CPython always has it
        import json

        return json.dumps(value, sort_keys=sort_keys)
    if isinstance(value, str):
        return str(encode_basestring_ascii(value))
    encode = make_encoder({}, _refuse, encode_basestring_ascii, None, ": ", ", ", sort_keys, False, True)
    return "".join(encode(value, 0))


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def dumps_indented(value: object) -> str:
    """`json.dumps(value, indent=2, sort_keys=True)`."""
    try:
        from _json import encode_basestring_ascii  # type: ignore[attr-defined, unused-ignore]

        out: list[str] = []
        _indented(value, 0, out, encode_basestring_ascii)
        return "".join(out)
    except (ImportError, TypeError, ValueError, RecursionError):  # another key type, a value json names: json says
        import json

        return json.dumps(value, indent=2, sort_keys=True)


def _indented(value: object, level: int, out: list[str], text: object) -> None:  # noqa: C901, PLR0912 - one per kind
    if isinstance(value, str):
        out.append(text(value))  # type: ignore[operator]
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        out.append("[")
        for at, item in enumerate(value):
            out.append(inner if at == 0 else "," + inner)
            _indented(item, level + 1, out, text)
        out.append("\n" + "  " * level + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        if not all(isinstance(key, str) for key in value):
            raise TypeError(value)  # json's own conversion of other keys: json.dumps
        inner = "\n" + "  " * (level + 1)
        out.append("{")
        for at, (key, item) in enumerate(sorted(value.items(), key=lambda pair: pair[0])):
            out.append(inner if at == 0 else "," + inner)
            out.append(text(key) + ": ")  # type: ignore[operator]
            _indented(item, level + 1, out, text)
        out.append("\n" + "  " * level + "}")
    else:
        raise TypeError(value)

"""Text every writer can carry: the one place that says which characters are not text.

Removed: C0 control characters except tab and newline (NUL, \\x01, ESC ...), DEL, the C1 controls
(\\x80-\\x9f), lone surrogates and the non-characters U+FFFE/U+FFFF. XML 1.0 (xlsx, docx, the chart
renderer) cannot hold them, a terminal executes some of them, and none of them is something a clerk
typed on purpose. Kept, as line breaks: vertical tab and form feed (Word's manual line break and page
break, which Excel writes as `_x000B_`) and NEL become "\\n"; "\\r\\n" and "\\r" become "\\n".

Used at the door (readers.py cleans every cell it reads, with a warning naming the cell) and at every
writer (exported xlsx/csv, forms, the report and brief .docx/.pdf, chart images, CLI text), so a
database that already holds such text is safe too. No streamlit, no I/O.
"""
from __future__ import annotations

import dataclasses
import re

# what no writer carries (NB: \t \n \r are handled apart: kept / normalised)
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\x85": "\n"}
# a whole terminal escape sequence (CSI ... final byte, OSC ... BEL/ST), so `score` does not print "[31m"
_ESCAPE_SEQ = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")


def _replace(m: re.Match) -> str:
    return _BREAKS.get(m.group(), "")


def has_control(s: str) -> bool:
    """True when `clean` would change more than line endings."""
    return _BAD.search(s) is not None


def clean(s: str, newlines: bool = True) -> str:
    """`s` with control characters removed (VT/FF/NEL as line breaks) and, unless `newlines` is False,
    line endings as "\\n" (a writer keeps a "\\r" it can carry: the formula guard looks at it)."""
    if newlines and "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if _BAD.search(s) is None:
        return s
    return _BAD.sub(_replace, s)


def clean_value(v):
    """A cell value: strings cleaned, anything else as it is."""
    return clean(v) if isinstance(v, str) else v


def for_terminal(s: str) -> str:
    """Text for a terminal: escape sequences removed whole, then every other control character."""
    if "\x1b" in s or "\x9b" in s:
        s = _ESCAPE_SEQ.sub("", s)
    return clean(s)


def shown(s: str, limit: int = 40) -> str:
    """The text with its control characters made visible (for messages about them): \\x01 -> "\\x01"."""
    out = _BAD.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", s)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def clean_deep(obj):
    """A copy of `obj` with every string cleaned: str, list, tuple, dict (keys and values), dataclass
    instances (their init fields) and pandas DataFrames (text columns). Other values are returned as they are."""
    if isinstance(obj, str):
        return clean(obj)
    if isinstance(obj, list):
        return [clean_deep(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(clean_deep(x) for x in obj)
    if isinstance(obj, dict):
        return {clean_deep(k): clean_deep(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: clean_deep(getattr(obj, f.name))
                                           for f in dataclasses.fields(obj) if f.init})
    if type(obj).__name__ == "DataFrame" and hasattr(obj, "select_dtypes"):
        text_cols = [c for c in obj.columns if obj[c].dtype == object or str(obj[c].dtype) in ("string", "str")]
        if not text_cols:
            return obj
        out = obj.copy()
        for c in text_cols:
            out[c] = out[c].map(clean_value, na_action="ignore")   # None stays None
        return out
    return obj


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def json_terminal(s: str) -> str:
    """A JSON document for a terminal: json.dumps(ensure_ascii=False) escapes C0 (ESC too) itself but
    leaves DEL, the C1 controls (\\x9b is a CSI on some terminals) and lone surrogates raw: escape them,
    which is still the same JSON value."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def _is_json(s: str) -> bool:
    if s[:1] not in ("{", "["):
        return False
    import json
    try:
        json.loads(s)
    except ValueError:
        return False
    return True


class TerminalStream:
    """Wraps sys.stdout/sys.stderr for the CLI: text goes out without control characters or escape
    sequences (project names are data: `score` must not recolour or retitle a terminal); a JSON document
    (a write that parses as JSON) keeps its value, with the characters JSON leaves raw escaped."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, s: str) -> int:
        self._stream.write(json_terminal(s) if _is_json(s) else for_terminal(s))
        return len(s)

    def write_json(self, s: str) -> int:
        """A JSON document, or a piece of one, that the caller made with json.dumps: escaped as a whole
        JSON document is (json_terminal) without parsing it again, so it may come in pieces."""
        self._stream.write(json_terminal(s))
        return len(s)

    def __getattr__(self, name):          # flush, encoding, isatty, buffer ...
        return getattr(self._stream, name)


def write_json(stream, s: str) -> None:
    """Write `s`, a JSON document or a piece of one (json.dumps output), to `stream` as TerminalStream writes
    a whole JSON document, whether `stream` is one (the CLI's stdout) or not."""
    w = getattr(stream, "write_json", None)
    w(s) if w is not None else stream.write(json_terminal(s))

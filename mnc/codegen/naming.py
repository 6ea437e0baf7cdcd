"""Making model-supplied names safe for C: identifiers, comments and string literals."""

from __future__ import annotations

import hashlib
import re

PREFIX = "mnc_"
MAX_IDENTIFIER = 48   # C99 guarantees only 31 significant external characters; GCC uses all, keep them short

# Names of the fixed model.h API and the generated file's own globals: a layer must never take one.
RESERVED = frozenset({
    "mnc_input", "mnc_output", "mnc_run", "mnc_invoke", "mnc_layer_names", "mnc_layer_macs",
    "mnc_arena", "mnc_profile_layer_start", "mnc_profile_layer_end",
})


def sanitize(name: str) -> str:
    """`mnc_` + `name` with every character outside [A-Za-z0-9_] replaced; long names get a hash tail."""
    body = re.sub(r"[^A-Za-z0-9_]", "_", name) or "_"
    ident = PREFIX + body
    if len(ident) > MAX_IDENTIFIER:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        ident = ident[: MAX_IDENTIFIER - 9] + "_" + digest
    return ident


def suffix(role: str) -> str:
    """A short name part (e.g. an array's role) reduced to [A-Za-z0-9_]."""
    return re.sub(r"[^A-Za-z0-9_]", "_", role)[:24] or "_"


class NameTable:
    """Hands out unique C identifiers for one compile (a fresh table per package)."""

    def __init__(self, reserved: frozenset[str] | set[str] = RESERVED) -> None:
        self._taken: set[str] = set(reserved)

    def reserve(self, ident: str) -> None:
        self._taken.add(ident)

    def claim(self, ident: str) -> str:
        """`ident` itself if free, else `ident_2`, `ident_3`, ...; the result is taken from then on."""
        candidate, n = ident, 1
        while candidate in self._taken:
            n += 1
            candidate = f"{ident}_{n}"
        self._taken.add(candidate)
        return candidate

    def identifier(self, name: str) -> str:
        return self.claim(sanitize(name))


def c_comment(text: str) -> str:
    """Text safe inside /* ... */ on one line: printable ASCII, no comment delimiters, no trigraphs."""
    safe = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    while "*/" in safe or "/*" in safe:
        safe = safe.replace("*/", "* /").replace("/*", "/ *")
    while "??" in safe:
        safe = safe.replace("??", "? ?")
    return safe.rstrip("\\")


def c_string(text: str) -> str:
    """A C99 string literal (with quotes) whose bytes are `text` in UTF-8; trigraph-proof."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '\\"?':
            out.append("\\" + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'

"""Model-supplied text made safe for a terminal.

Names, op codes and attribute values come from the model file, i.e. from whoever wrote it. Printed raw
they could clear the screen, retitle the window, move the cursor (ESC/CSI/OSC sequences, C0 and C1
control characters, bidirectional overrides), or break `rich` output with markup such as `[/]`.

`escape` turns every such character into a visible `\\xNN` / `\\uNNNN` escape (the backslash itself
becomes `\\\\`, so the result is unambiguous). Every model string the CLI shows in a table goes
through it, and every error and warning line through `terminal_line`. Markup is handled once, where
the consoles are made: the CLI's `rich` consoles have markup and emoji codes switched off, so `[/]`
or `:smile:` in a name prints as those characters.
"""

from __future__ import annotations

import unicodedata

MAX_SHOWN = 200   # characters of one model string shown; longer ones are cut with a marker

# Unicode categories that move or hide text: controls (Cc), format characters such as the
# bidirectional overrides (Cf), line/paragraph separators (Zl, Zp), unassigned and private use.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(text: object, limit: int = MAX_SHOWN) -> str:
    """`text` with every control/format character visible as an escape, cut to `limit` characters."""
    s = text if isinstance(text, str) else str(text)
    cut = len(s) > limit
    shown = "".join(_escape_char(ch) for ch in s[:limit])
    return shown + "...(cut)" if cut else shown


def terminal_line(text: str) -> str:
    """One message line for stderr: whitespace runs (newlines too) collapsed, controls escaped.

    Used on whole error and warning messages, so a model string embedded anywhere in them is safe
    even where the raising code forgot to escape it."""
    one = " ".join(text.split()) or "(no message)"
    return "".join(_escape_char(ch) if ch != "\\" else ch for ch in one)


def quoted(text: object, limit: int = MAX_SHOWN) -> str:
    """`escape(text)` in single quotes, for names inside messages (repr() would double the backslashes)."""
    return f"'{escape(text, limit)}'"

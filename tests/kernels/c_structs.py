"""Read the params structs out of the C kernel headers: {struct type: {field: C type}}.

Enough C for templates/kernels: `typedef struct { <declarations> } name_t;` where a declaration is
`int32_t a, b;` or `const int8_t *p;`, with /* */ comments anywhere."""

from __future__ import annotations

import re
from pathlib import Path

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STRUCT = re.compile(r"typedef\s+struct\s*\{(?P<body>[^}]*)\}\s*(?P<name>\w+)\s*;")
_DECLARATION = re.compile(r"^(?P<type>(?:const\s+)?\w+)\s*(?P<names>[^;]+)$")


def header_structs(path: Path) -> dict[str, dict[str, str]]:
    text = _COMMENT.sub(" ", path.read_text())
    return {m["name"]: _fields(m["body"]) for m in _STRUCT.finditer(text)}


def _fields(body: str) -> dict[str, str]:
    fields = {}
    for declaration in filter(None, (d.strip() for d in body.split(";"))):
        m = _DECLARATION.match(" ".join(declaration.split()))
        if m is None:
            raise ValueError(f"cannot parse struct member {declaration!r}")
        for name in m["names"].split(","):
            pointer = name.strip().startswith("*")
            fields[name.strip().lstrip("*").strip()] = f"{m['type']} *" if pointer else m["type"]
    return fields


def mismatches(declared: dict[str, str], header: dict[str, str]) -> list[str]:
    """What differs between a descriptor's fields and the header's, one line each."""
    lines = [f"missing in the descriptor: {n}" for n in header if n not in declared]
    lines += [f"not in the C struct: {n}" for n in declared if n not in header]
    lines += [f"{n}: descriptor says {declared[n]!r}, header {header[n]!r}"
              for n in declared if n in header and declared[n] != header[n]]
    return lines

"""What every `mnc` command shares: one-line errors, consoles, and reading SOURCE/--variant."""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import click
import numpy as np
from rich.console import Console

from mnc.errors import MncError
from mnc.safetext import terminal_line


def _stdout() -> Console:
    # No markup, emoji codes or highlighting: model strings print as the (escaped) text they are.
    return Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


PIPE_WIDTH = 200


def wide_stdout() -> Console:
    """stdout for wide tables: the terminal's width, or 200 columns into a pipe or file."""
    console = _stdout()
    if not console.is_terminal:
        console.width = max(console.width, PIPE_WIDTH)
    return console


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {terminal_line(message)}", err=True)
    sys.exit(code)


def user_errors(command):
    """Adds --debug; turns exceptions into one-line errors unless --debug asks for the traceback.

    Warnings raised while the command runs (e.g. synthetic calibration) print as `warning: ...` lines
    before any error.
    """

    @click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
    @functools.wraps(command)
    def wrapper(*args, debug: bool, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                return command(*args, **kwargs)
            except click.ClickException:
                raise
            except Exception as exc:
                if debug:
                    raise
                message = _error_message(exc)
            finally:
                for w in caught:
                    click.echo(f"warning: {_one_line(str(w.message))}", err=True)
        fail(message)

    return wrapper


def _error_message(exc: Exception) -> str:
    if isinstance(exc, MncError):
        return _one_line(str(exc))
    # Anything else is a bug in mnc: still one line, with a pointer to the traceback.
    return f"internal error ({type(exc).__name__}): {_one_line(str(exc))}; rerun with --debug"


def _one_line(text: str) -> str:
    return terminal_line(text)


def source_of(source: str | None, variant: str | None) -> str | Path:
    """The model to load: a variant name (str) or an existing model file (Path)."""
    if (source is None) == (variant is None):
        raise click.UsageError("give exactly one of SOURCE or --variant NAME")
    if variant is not None:
        return variant
    if not Path(source).is_file():
        raise MncError(f"model file {source} not found")
    return Path(source)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)

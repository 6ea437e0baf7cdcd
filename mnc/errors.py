"""The one exception family the CLI turns into a single-line error and a non-zero exit."""


class MncError(Exception):
    """A user-facing error: bad input, unsupported feature, or a model that does not fit."""


class ModelError(MncError):
    """The input model is malformed or inconsistent."""


class UnsupportedError(MncError):
    """The model uses an operator, option or data type mnc does not support."""


class ToolchainError(MncError):
    """A compiler, emulator or other external tool is missing or failed."""


class FitError(MncError):
    """The compiled model does not fit the target's RAM or flash budget."""

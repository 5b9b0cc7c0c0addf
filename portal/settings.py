"""Numbers from the environment, with one clear error for a malformed value (the message names the variable and
the value; never use it for secrets)."""
from __future__ import annotations

from typing import Mapping, Optional


class SettingError(ValueError):
    """A setting in the environment is malformed."""


def env_int(environ: Mapping[str, str], name: str, default: int, low: Optional[int] = None,
            high: Optional[int] = None, meaning: Optional[str] = None) -> int:
    """`name` as a whole number (`default` when unset or blank), within `low`..`high` when given; `meaning` says
    what the value must be in the error ("a TCP port (1-65535)")."""
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise SettingError(f"{name} must be {meaning or _range(low, high)}, not {value}")
    return value


def env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    """`name` as a positive number (`default` when unset or blank)."""
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {raw!r}") from None
    if not value > 0:
        raise SettingError(f"{name} must be positive")
    return value


def _range(low: Optional[int], high: Optional[int]) -> str:
    if high is None:
        return f"at least {low}"
    return f"at most {high}" if low is None else f"between {low} and {high}"

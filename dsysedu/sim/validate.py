"""Small validators that name the field, the value and what is allowed."""
from __future__ import annotations

import math
from numbers import Real

__all__ = ["number", "probability", "positive_int"]


def number(field: str, value, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, allow_inf: bool = False) -> float:
    """Check that ``value`` is a real number in a range and return it as float."""
    if type(value) is float and -math.inf < value < math.inf:  # the common case, on the hot path of set_timer
        if (low is None or value > low or (value == low and not low_open)) and (high is None or value <= high):
            return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{field} must be a number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        allowed = bound if high is None else f"{bound} and <= {high:g}"
        raise ValueError(f"{field} must be {allowed}, got {value!r}")
    if high is not None and v > high:
        allowed = f"<= {high:g}" if low is None else f"between {low:g} and {high:g}"
        raise ValueError(f"{field} must be {allowed}, got {value!r}")
    return v


def probability(field: str, value) -> float:
    """A probability: a number from 0 to 1."""
    return number(field, value, low=0.0, high=1.0)


def positive_int(field: str, value, *, low: int = 1, high: int | None = None) -> int:
    """An int in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an int, got {value!r} ({type(value).__name__})")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{field} must be an int {allowed}, got {value}")
    return value

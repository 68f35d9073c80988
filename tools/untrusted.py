"""Checks of what a client sends: JSON bodies and texts to store."""

import json
import math


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        # 1e400 parses as infinity: neither the ORM nor jsonb can store it.
        raise ValueError(f"{text} is out of range")
    return value


def json_loads(raw, max_depth):
    """The JSON value of ``raw``; ValueError unless it is strict JSON (no NaN
    or Infinity, finite numbers) nested at most ``max_depth`` deep."""
    try:
        value = json.loads(
            raw, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except RecursionError:
        raise ValueError("nested too deep") from None
    # Bounded here, iteratively: deeper values would hit the recursion limit
    # later, when stored, logged or compared.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise ValueError("nested too deep")
        stack.extend((child, depth + 1) for child in children)
    return value


def is_storable_text(text):
    """Whether PostgreSQL can store ``text``: no NUL, no lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text

"""Errors in what users give: one exception and one way of saying what is wrong.

Example:
    >>> from pydantic import BaseModel, ConfigDict, ValidationError
    >>> class Shift(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     start: int = 8
    >>> try:
    ...     Shift.model_validate({"start": 7, "hour": 9})
    ... except ValidationError as exc:
    ...     print(describe_validation_error(exc, "shift", Shift))
    shift does not validate: hour: not a field; allowed: start
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(ValueError):
    """A config, spec or option that cannot be used; the message names the field, the value
    and what is allowed."""


def validated[M: BaseModel](model: type[M], data: Any, source: str) -> M:
    """``data`` validated as ``model``; :class:`ConfigError` with one paragraph if it is not
    (:func:`describe_validation_error`), or if it is nested too deeply to check.

    Example:
        >>> from pydantic import BaseModel
        >>> class Shift(BaseModel):
        ...     start: int = 8
        >>> validated(Shift, {"start": 7}, "shift").start
        7
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source, model)) from None
    except RecursionError:
        raise ConfigError(f"{source}: values nested too deeply to check; allowed: a few "
                          "levels") from None


MAX_ERRORS_SHOWN = 5
"""Errors named in one message; the rest are counted."""
MAX_VALUE_SHOWN = 80
"""Characters of a given value shown in a message."""


def describe_validation_error(exc: ValidationError, source: str,
                              model: type[BaseModel] | None = None) -> str:
    """One paragraph naming each bad field, the value given and what is allowed; with the
    ``model`` that was validated, a field that does not exist is answered with the fields that do.

    A check of the whole document (an empty location) names its fields in its own message. Long
    values are cut short and at most :data:`MAX_ERRORS_SHOWN` errors are named.
    """
    parts = []
    errors = exc.errors()
    for err in errors[:MAX_ERRORS_SHOWN]:
        loc = list(err["loc"])
        field = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden" and model is not None:
            owner = _model_at(model, loc[:-1])
            if owner is not None:
                parts.append(f"{field}: not a field; allowed: {', '.join(owner.model_fields)}")
                continue
        msg = err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        shown = ("" if isinstance(given, dict) or err["type"] == "missing" or not loc
                 else f" (given: {_shown(given)})")
        parts.append(f"{field}: {msg}{shown}" if field else msg)
    if len(errors) > MAX_ERRORS_SHOWN:
        parts.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more")
    return f"{source} does not validate: " + "; ".join(parts)


def _shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_VALUE_SHOWN` characters (deep nesting included)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 1] + "…"


def _model_at(model: type[BaseModel], loc: list[Any]) -> type[BaseModel] | None:
    """The model class that the location ``loc`` inside ``model`` is an instance of."""
    kind: Any = model
    for step in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if step not in kind.model_fields:
                return None
            kind = kind.model_fields[step].annotation
        else:  # a list index, a dict key or a union member's tag: the item type
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            if not args:
                return None
            kind = args[-1]
    kind = _unwrap(kind)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _unwrap(kind: Any) -> Any:
    """``X | None``, ``Annotated[X, …]`` → ``X``; containers are left as they are."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            if len(args) != 1:
                return kind
            kind = args[0]
        else:
            return kind

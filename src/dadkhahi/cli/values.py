"""Option and argument values of the common kinds read without Pydantic (start-up).

Typer 0.29 coerces every value through a Pydantic ``TypeAdapter`` built for its
parameter, so every command, even ``dadkhahi nosuchcmd``, imported Pydantic (about 0.15 s
of CPU on a slow machine, more than Typer itself) before a line of ours ran; for
``evidence add`` that came before the first byte was copied (issue 12 item 17). Text,
paths, choices and flags (and lists of them) need none of it: :func:`plain_values` gives such
parameters a coercion of their own that does what Typer's adapters do for them (a path
checked by Typer's own ``coerce_cli_path``, a choice matched by its ``coerce_cli_choice``,
their errors in the same words), and hands any value it does not expect to Typer's own
coercion. A whole number or a number given as its default (every option's default is
coerced too, given or not) is itself when within its bounds; a number typed on the command
line, and dates, keep Typer's coercion (and so Pydantic, loaded only then): its words for
a bad number are the ones users see (``estimate --method chao`` took Pydantic's 0.15 s for
its defaults alone).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path

#: Reads one value, or returns _OTHER for a value to leave to Typer's own coercion.
_Leaf = Callable[[Any, Any, Any], Any]
_OTHER = object()


def _text(value: Any, param: Any, ctx: Any) -> Any:
    return value if isinstance(value, str) else _OTHER


def _flag(value: Any, param: Any, ctx: Any) -> Any:
    return value if isinstance(value, bool) else _OTHER  # "yes", "0" … as Typer reads them


def _path_of(kind: type[Path], info: Any) -> _Leaf:
    def read(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            value = kind(value)  # as Pydantic reads a path from text
        if not isinstance(value, kind):
            return _OTHER
        return coerce_cli_path(value, info, path_type=kind, param=param, ctx=ctx)

    return read


def _choice_of(kind: type[Enum], case_sensitive: bool) -> _Leaf:
    choices = tuple(kind)

    def read(value: Any, param: Any, ctx: Any) -> Any:
        if not isinstance(value, str | kind):
            return _OTHER
        try:
            return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive,
                                     ctx=ctx)
        except ValueError as exc:  # "'boss' is not one of 'viewer', …"
            raise BadParameter(str(exc), ctx=ctx, param=param) from None

    return read


def _number_of(kind: type[int] | type[float], info: Any) -> _Leaf:
    low, high = info.min, info.max

    def read(value: Any, param: Any, ctx: Any) -> Any:
        # Only a number already of its kind (a default; never a bool, which Pydantic
        # would read as 0 or 1), finite and within its bounds, is taken as it is.
        if type(value) is not kind or not math.isfinite(value):
            return _OTHER
        if (low is not None and value < low) or (high is not None and value > high):
            return _OTHER
        return value

    return read


def _leaf(annotation: Any, info: Any) -> _Leaf | None:
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is int or annotation is float:
        return _number_of(annotation, info)
    if isinstance(annotation, type) and issubclass(annotation, Path) and (
            info.path_type is None):
        return _path_of(annotation, info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice_of(annotation, bool(info.case_sensitive))
    return None


@dataclass(frozen=True)
class _PlainValues(RuntimeParam):
    leaf: _Leaf
    many: bool
    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.many and isinstance(value, list | tuple):
            read = [self.leaf(item, param, ctx) for item in value]
            if not any(item is _OTHER for item in read):
                return read
        elif not self.many:
            read_one = self.leaf(value, param, ctx)
            if read_one is not _OTHER:
                return read_one
        # Anything else as Typer would (and with Pydantic): the same value, the same error.
        return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)


def plain_values(param: Any) -> None:
    """Give ``param`` (a Typer argument or option) the coercion of this module if it takes
    text, a path, a choice, a flag or a number, or a list of one of them; leave it as it
    is otherwise."""
    descriptor = getattr(param, "type_descriptor", None)
    if not isinstance(descriptor, TypeDescriptor) or getattr(param, "_runtime_param", None):
        return  # not Typer's, or its coercion already built
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return
    origin: Any = get_origin(descriptor.annotation)
    annotation, many = descriptor.annotation, origin is list
    if many:
        (annotation,) = get_args(annotation)
    leaf = _leaf(annotation, info)
    if leaf is not None:
        param._runtime_param = _PlainValues(parameter_info=info,
                                            annotation=descriptor.annotation, leaf=leaf,
                                            many=many, descriptor=descriptor)

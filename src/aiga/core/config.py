"""Dataclass configs: TOML load/save, CLI flags generated from fields, validation with one-line errors.

Every system describes its settings as a frozen dataclass whose fields carry a one-line help text
(``param(default, "help")``). From that single description we derive the TOML file a run writes
(``config.toml``), the command-line flags (``--field-name``), and the validation a user sees when a value
is wrong: one line naming the field and what is allowed, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

T = TypeVar("T")


class AigaError(Exception):
    """An error the user caused and can fix (bad flag, config, checkpoint). The CLI prints it in one line."""


class ConfigError(AigaError):
    """A configuration value that is missing, malformed or out of range."""


def param(default: Any, help: str, **kwargs: Any) -> Any:
    """A dataclass field with its help text (shown by ``--help`` and kept next to the value)."""
    if isinstance(default, list | dict | set):
        raise TypeError("use tuples for sequence defaults so configs stay immutable")
    return dataclasses.field(default=default, metadata={"help": help, **kwargs})


def check_range(name: str, value: float, lo: float | None = None, hi: float | None = None) -> None:
    """Raise ``ConfigError`` naming ``name`` unless ``lo <= value <= hi`` (and finite)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise ConfigError(f"{name} must be in [{lo_s}, {hi_s}], got {value!r}")


def check_choice(name: str, value: Any, choices: typing.Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def _coerce(name: str, tp: Any, value: Any) -> Any:
    """Convert a TOML/CLI value to the annotated type, or raise ConfigError naming the field."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "")):
            if type(None) in typing.get_args(tp):
                return None
        last: Exception | None = None
        for a in args:
            try:
                return _coerce(name, a, value)
            except ConfigError as e:
                last = e
        raise last or ConfigError(f"{name}: cannot read {value!r}")
    if origin is tuple:
        args = typing.get_args(tp)
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{name} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(name, args[0], v) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"{name} must have {len(args)} values, got {len(value)}")
        return tuple(_coerce(name, a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict) and any(dataclasses.is_dataclass(v) for v in value.values()):
            value = {k: to_dict(v) if dataclasses.is_dataclass(v) else v for k, v in value.items()}
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a table, got {value!r}")
        return from_dict(tp, value, where=name)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.replace("_", ""))
            except ValueError:
                pass
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if isinstance(value, int | float):
            out = float(value)
        elif isinstance(value, str):
            try:
                out = float(value)
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {value!r}") from None
        else:
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(out):
            raise ConfigError(f"{name} must be a finite number, got {value!r}")
        return out
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
        return value
    if typing.get_origin(tp) is typing.Literal:
        check_choice(name, value, typing.get_args(tp))
        return value
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "config") -> T:
    """Build ``cls`` from a plain dict, rejecting unknown keys and ill-typed values with one clear line.

    The dataclass's own ``__post_init__`` then checks ranges and cross-field rules.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table of settings")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(names))})")
    kwargs = {k: _coerce(f"{where}.{k}" if where != "config" else k, hints[k], v) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:  # missing required field
        raise ConfigError(f"{where}: {e}") from None


def to_dict(cfg: Any) -> dict[str, Any]:
    """A TOML-ready dict (tuples become lists, None values are dropped since TOML has no null)."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {
                f.name: conv(getattr(v, f.name))
                for f in dataclasses.fields(v)
                if getattr(v, f.name) is not None
            }
        if isinstance(v, tuple | list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items() if x is not None}
        return v

    return conv(cfg)


def replace(cfg: T, overrides: dict[str, Any]) -> T:
    """A copy of ``cfg`` with some fields changed, validated like a fresh load."""
    data = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}  # type: ignore[arg-type]
    data.update(overrides)
    return from_dict(type(cfg), data)


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    try:
        with p.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {p} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {p} is not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {p}: {e.strerror}") from None


def dumps_toml(data: dict[str, Any]) -> str:
    return tomli_w.dumps(data)


# ---------------------------------------------------------------- command-line flags from fields


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_args(
    parser: argparse.ArgumentParser, cls: type, skip: typing.Iterable[str] = (), title: str | None = None
) -> None:
    """Add one ``--field-name`` flag per dataclass field; values stay strings until ``from_dict``.

    A nested dataclass field ``es`` gets flags ``--es-lr`` etc. Defaults are ``None`` here so that we
    can tell which flags the user actually gave (a preset or a TOML file supplies the rest).
    """
    _add_fields(
        parser.add_argument_group(title or f"{cls.__name__} settings (override the preset and --config)"),
        cls,
        set(skip),
        prefix="",
    )


def _add_fields(group: Any, cls: type, skip: set[str], prefix: str) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if prefix + f.name in skip:
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            _add_fields(group, hints[f.name], skip, prefix + f.name + ".")
            continue
        help_text = f.metadata.get("help", "")
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, tuple):
            default = " ".join(map(str, default))
        dotted = prefix + f.name
        group.add_argument(
            _flag(dotted.replace(".", "_")),
            dest="cfg__" + dotted.replace(".", "__"),
            default=None,
            metavar="V",
            help=f"{help_text} (default {default})",
        )


def cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields the user set on the command line, as raw strings keyed by field name
    (nested fields as nested dicts)."""
    out: dict[str, Any] = {}
    for k, v in vars(args).items():
        if not k.startswith("cfg__") or v is None:
            continue
        *parents, leaf = k[5:].split("__")
        d = out
        for part in parents:
            d = d.setdefault(part, {})
        d[leaf] = v
    return out


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, merging nested tables instead of replacing them."""
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def resolve_config(
    cls: type[T],
    preset: dict[str, Any] | None = None,
    toml_path: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> T:
    """Preset, then the TOML file, then command-line overrides; the result is validated once."""
    data: dict[str, Any] = dict(preset or {})
    if toml_path:
        data = merge(data, load_toml(toml_path))
    data = merge(data, overrides or {})
    return from_dict(cls, data)

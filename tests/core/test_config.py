"""Config loading: types, unknown keys, nested tables, TOML files, CLI flags; one clear line per error."""

import argparse
import dataclasses

import pytest

from aiga.core.config import (
    ConfigError,
    add_config_args,
    check_range,
    cli_overrides,
    from_dict,
    param,
    resolve_config,
    to_dict,
)


@dataclasses.dataclass(frozen=True)
class Inner:
    lr: float = param(0.01, "learning rate")
    pairs: int = param(256, "antithetic pairs")

    def __post_init__(self):
        check_range("es.pairs", self.pairs, 1, None)


@dataclasses.dataclass(frozen=True)
class Cfg:
    seed: int = param(0, "seed")
    iterations: int = param(10, "budget")
    name: str = param("flat", "course")
    band: tuple[float, float] = param((50.0, 300.0), "MC band")
    flag: bool = param(False, "a switch")
    es: Inner = param(Inner(), "ES settings")


def test_types_are_coerced_from_strings():
    cfg = from_dict(Cfg, {"seed": "7", "band": "25, 340", "flag": "yes", "es": {"lr": "0.5"}})
    assert cfg == Cfg(seed=7, band=(25.0, 340.0), flag=True, es=Inner(lr=0.5))


@pytest.mark.parametrize(
    "data, words",
    [
        ({"sed": 1}, "unknown setting 'sed'"),
        ({"seed": "x"}, "seed must be an integer"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"band": [1.0]}, "band must have 2 values"),
        ({"flag": "maybe"}, "flag must be true or false"),
        ({"es": {"pairs": 0}}, "es.pairs must be in [1, inf]"),
        ({"es": {"lr": "nan"}}, "es.lr must be a finite number"),
        ({"es": 3}, "es must be a table"),
    ],
)
def test_bad_values_name_the_field(data, words):
    with pytest.raises(ConfigError) as e:
        from_dict(Cfg, data)
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_toml_round_trip_and_precedence(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('seed = 3\nname = "hard"\n[es]\npairs = 8\n')
    cfg = resolve_config(
        Cfg, preset={"seed": 1, "es": {"lr": 0.2}}, toml_path=str(f), overrides={"seed": "5"}
    )
    assert cfg == Cfg(seed=5, name="hard", es=Inner(lr=0.2, pairs=8))  # nested tables merge
    assert from_dict(Cfg, to_dict(cfg)) == cfg


def test_bad_toml_is_one_line(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("seed = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_config(Cfg, toml_path=str(f))
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_config(Cfg, toml_path=str(tmp_path / "missing.toml"))


def test_cli_flags_from_fields():
    p = argparse.ArgumentParser()
    add_config_args(p, Cfg, skip=("seed", "iterations"))
    args = p.parse_args(["--es-lr", "0.3", "--band", "1 2", "--name", "x"])
    assert cli_overrides(args) == {"es": {"lr": "0.3"}, "band": "1 2", "name": "x"}
    assert resolve_config(Cfg, overrides=cli_overrides(args)) == Cfg(
        name="x", band=(1.0, 2.0), es=Inner(lr=0.3)
    )
    with pytest.raises(SystemExit):
        p.parse_args(["--seed", "1"])  # skipped: the run contract adds it

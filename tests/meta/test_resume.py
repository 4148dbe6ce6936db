"""A run killed after a checkpoint and resumed ends exactly where an uninterrupted run ends (equal
digests of checkpoint arrays, metrics and events), for ``aiga maml`` and ``aiga rl2``."""

import pytest

pytest.importorskip("jax")

from aiga.cli import main  # noqa: E402
from aiga.core.runstore import RunStore  # noqa: E402

MAML = ["--iterations", "40", "--log-every", "10", "--checkpoint-every", "20", "--eval-every", "20",
        "--eval-tasks", "8", "--final-eval-tasks", "8", "--hidden", "8 8", "--meta-batch", "4", "--seed", "3"]
RL2 = ["--iterations", "6", "--log-every", "2", "--checkpoint-every", "2", "--eval-every", "2",
       "--trials", "8", "--minibatches", "2", "--episodes", "6", "--arms", "3", "--hidden", "8",
       "--eval-trials", "16", "--seed", "5"]


def _interrupt_at(monkeypatch, iteration):
    real = RunStore.log_metrics

    def log_metrics(self, it, values):
        if it == iteration:
            raise KeyboardInterrupt
        return real(self, it, values)

    monkeypatch.setattr(RunStore, "log_metrics", log_metrics)


@pytest.mark.parametrize(("system", "flags", "kill_at"), [("maml", MAML, 30), ("rl2", RL2, 4)])
def test_killed_and_resumed_run_equals_uninterrupted(tmp_path, monkeypatch, capsys, system, flags, kill_at):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main([system, *flags, "--run-dir", str(whole)]) == 0
    with monkeypatch.context() as mp:
        _interrupt_at(mp, kill_at)
        assert main([system, *flags, "--run-dir", str(parts)]) == 130
    with RunStore.open(parts) as store:
        assert store.info()["status"] == "stopped"
        assert store.last_iteration() < kill_at
    assert main([system, "--resume", str(parts)]) == 0
    with RunStore.open(whole) as a, RunStore.open(parts) as b:
        assert a.last_iteration() == b.last_iteration()
        assert a.digest() == b.digest()
    out = capsys.readouterr().out  # each run ends with its report
    assert ("held-out evaluation" in out) if system == "maml" else ("gittins" in out)
    assert list((parts / "media").glob("*.png"))

"""The reference walker policy: size, packing order of the flat vector, batched == single forward."""

import numpy as np
import pytest

from aiga.core.config import AigaError
from aiga.core.policy import MLPPolicy


def test_poet_walker_policy_has_2804_parameters():
    # 24*40+40 + 40*40+40 + 40*4+4, as in the reference's Model.param_count
    assert MLPPolicy().num_params == 1000 + 1640 + 164 == 2804


def test_packing_order_against_hand_built_network():
    # sizes 2-3-1: layer 0 weights (2,3) row-major, bias (3); layer 1 weights (3,1), bias (1)
    pol = MLPPolicy((2, 3, 1))
    assert pol.num_params == 6 + 3 + 3 + 1
    w0 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
    b0 = np.array([0.01, 0.02, -0.03])
    w1 = np.array([[0.7], [-0.8], [0.9]])
    b1 = np.array([0.05])
    theta = np.concatenate([w0.ravel(), b0, w1.ravel(), b1])
    x = np.array([1.5, -2.0])
    # by hand: h = tanh(x @ w0 + b0); y = tanh(h @ w1 + b1)
    h = [np.tanh(1.5 * w0[0, j] - 2.0 * w0[1, j] + b0[j]) for j in range(3)]
    y = np.tanh(sum(h[j] * w1[j, 0] for j in range(3)) + b1[0])
    assert pol.act(theta, x) == pytest.approx([y], abs=1e-12)
    # swapping the weight matrix to (out, in) order would give a different answer
    wrong = np.concatenate([w0.T.ravel(), b0, w1.ravel(), b1])
    assert abs(pol.act(wrong, x)[0] - y) > 1e-3


def test_output_is_tanh_bounded_and_init_scale():
    pol = MLPPolicy()
    theta = pol.init(np.random.default_rng(0))
    assert theta.shape == (2804,)
    assert 0.09 < theta.std() < 0.11 and abs(theta.mean()) < 0.01
    a = pol.act(theta * 100, np.full(24, 10.0))
    assert np.all(np.abs(a) <= 1.0)


def test_batched_forward_equals_one_at_a_time_bitwise():
    pol = MLPPolicy()
    rng = np.random.default_rng(1)
    thetas = rng.standard_normal((7, pol.num_params)) * 0.3
    obs = rng.standard_normal((7, 24))
    batch = pol.act_batch(thetas, obs)
    assert batch.shape == (7, 4)
    for i in range(7):
        np.testing.assert_array_equal(batch[i], pol.act(thetas[i], obs[i]))
    # a sub-batch gives the same rows (walkers dropping out must not change the others)
    np.testing.assert_array_equal(pol.act_batch(thetas[2:5], obs[2:5]), batch[2:5])


def test_wrong_shapes_give_clear_error():
    pol = MLPPolicy()
    with pytest.raises(AigaError, match="2804"):
        pol.act_batch(np.zeros((2, 10)), np.zeros((2, 24)))
    with pytest.raises(AigaError, match="observations"):
        pol.act_batch(np.zeros((2, 2804)), np.zeros((3, 24)))

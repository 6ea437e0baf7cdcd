"""transpose: the int8 C kernel (mnc_transpose_s8) equals numpy's transpose, which is the op's int8
reference, for every permutation of a 4-D tensor with distinct axis sizes and for lower ranks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mnc.errors import UnsupportedError
from mnc.kernels.select import lower_call
from tests.ops.test_pool_family import _c, _eval, _graph, _rand_int8

SHAPE_4D = (2, 3, 4, 5)   # distinct sizes: a wrong stride cannot go unnoticed
Q = (0.05, -7)


def _case(shape, perm, seed=0):
    g = _graph("transpose", [shape], {"perm": perm}, [Q], Q)
    return g, _rand_int8(np.random.default_rng(seed), shape)


@pytest.mark.parametrize("perm", list(itertools.permutations(range(4))), ids=str)
def test_every_4d_permutation_is_bit_exact(perm):
    g, x = _case(SHAPE_4D, perm)
    want = np.transpose(x, perm)
    np.testing.assert_array_equal(_eval(g, [x], "int8"), want)
    np.testing.assert_array_equal(_c(g, [x]), want)


@pytest.mark.parametrize("shape,perm", [((6, 7), (1, 0)), ((3, 4, 5), (2, 0, 1)), ((3, 4, 5), (0, 2, 1)),
                                        ((1, 9, 1, 4), (0, 3, 1, 2))])
def test_lower_ranks_and_unit_axes(shape, perm):
    g, x = _case(shape, perm, seed=1)
    np.testing.assert_array_equal(_c(g, [x]), np.transpose(x, perm))


def test_rank_5_is_refused_with_a_reason():
    g, _ = _case((1, 2, 3, 4, 5), (0, 1, 2, 4, 3))
    with pytest.raises(UnsupportedError, match="rank <= 4"):
        lower_call(g.op("op"), g, None)

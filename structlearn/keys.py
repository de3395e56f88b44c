"""Stable weight keys, and optimizer state carried across structural edits.

Every unit of a :class:`~structlearn.network.Network` has a permanent integer id. The key of a weight
is built from the ids of the two units it connects (a bias from the bias "unit" and its unit), so it
does not change when other units or blocks are added or removed. An optimizer keeps its per-weight
state (momentum, Adam moments, quickprop's last step) aligned with the keys it last saw and, after an
edit, moves it to the new layout with :func:`carry_over`.

This module sits below both :mod:`structlearn.network` and :mod:`structlearn.optim`: neither imports
the other for it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["BIAS_SOURCE", "weight_keys", "carry_over"]

#: the "source unit id" of a bias in a key
BIAS_SOURCE = -1


def weight_keys(source_ids, unit_ids):
    """Keys of a block's ``W`` (row-major, rows = source units) followed by its ``b``.

    Parameters
    ----------
    source_ids : ndarray of int64
        Unit ids of the block's input rows, in row order.
    unit_ids : ndarray of int64
        Unit ids of the block's units (columns).

    Returns
    -------
    ndarray of int64, length ``(len(source_ids) + 1) * len(unit_ids)``
    """
    src = np.asarray(source_ids, dtype=np.int64)
    dst = np.asarray(unit_ids, dtype=np.int64)
    w = (((src[:, None] + 1) << 32) | dst[None, :]).ravel()
    b = ((BIAS_SOURCE + 1) << 32) | dst
    return np.concatenate([w, b]).astype(np.int64)


def carry_over(old_keys, old_values, new_keys, fill=0.0):
    """Move per-parameter values (optimizer state) to a new parameter layout.

    Parameters
    ----------
    old_keys, new_keys : ndarray of int64
        :meth:`Network.param_keys` before and after a structural edit.
    old_values : ndarray
        Values aligned with ``old_keys``.
    fill : float
        Value for parameters that did not exist before (new units).

    Returns
    -------
    ndarray aligned with ``new_keys``.
    """
    order = np.argsort(old_keys, kind="stable")
    sorted_keys = old_keys[order]
    pos = np.searchsorted(sorted_keys, new_keys)
    pos_clipped = np.minimum(pos, len(sorted_keys) - 1)
    found = (pos < len(sorted_keys)) & (sorted_keys[pos_clipped] == new_keys) if len(old_keys) else \
        np.zeros(len(new_keys), bool)
    out = np.full(len(new_keys), fill, dtype=old_values.dtype)
    out[found] = old_values[order[pos_clipped[found]]]
    return out

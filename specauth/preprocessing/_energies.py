"""Validation of an energy (or 2-theta, wavenumber ...) axis given with spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._validation import check_spectra

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["check_energies"]


def check_energies(energies: ArrayLike, n_features: int) -> np.ndarray:
    """Return ``energies`` as a new float64 1D array matching ``n_features``.

    Parameters
    ----------
    energies : array-like of shape (n_features,)
        Bin centres, strictly increasing and finite.
    n_features : int
        Number of columns of the spectra the axis belongs to.

    Returns
    -------
    energies : ndarray of shape (n_features,), dtype float64
        A copy; never the caller's array.

    Raises
    ------
    ValueError
        If ``energies`` is not 1D, not finite, not strictly increasing, or its
        length differs from ``n_features``.

    Examples
    --------
    >>> check_energies([1, 2, 3], 3)
    array([1., 2., 3.])
    >>> check_energies([1, 2, 3], 4)
    Traceback (most recent call last):
    ...
    ValueError: `energies` has 3 values but X has 4 features (columns); ...
    """
    arr = check_spectra(energies, name="energies", ndim=(1,), dtype=np.float64)
    arr = np.array(arr, dtype=np.float64, copy=True)
    if arr.shape[0] != n_features:
        raise ValueError(
            f"`energies` has {arr.shape[0]} values but X has {n_features} "
            "features (columns); they must be equal: pass one energy per column."
        )
    steps = np.diff(arr)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ValueError(
            "`energies` must be strictly increasing; got "
            f"energies[{i}]={arr[i]:g} followed by energies[{i + 1}]={arr[i + 1]:g}. "
            "Sort the columns of X and `energies` together first."
        )
    return arr

"""Parameter and data validation shared by every specauth estimator.

Estimators declare a class-level ``_parameter_constraints`` dict mapping each
``__init__`` argument to a list of accepted constraints; :func:`check_params`
checks them at the start of ``fit`` and raises a ``ValueError``/``TypeError``
naming the parameter, what was expected and what was received.

A constraint is one of

- :class:`Interval` -- a number in a range,
- :class:`Options` -- one of a fixed set of values,
- ``None`` -- the value ``None``,
- a type (``str``, ``bool``, ``dict`` ...) -- an instance of it,
- ``"callable"``, ``"random_state"``, ``"array-like"``, ``"boolean"``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "Interval",
    "Options",
    "check_params",
    "check_spectra",
    "check_is_fitted",
    "validate_data",
    "check_finite",
]


@dataclass(frozen=True)
class Interval:
    """A numeric range ``[left, right]`` with open or closed ends.

    Parameters
    ----------
    type : type
        ``numbers.Integral`` or ``numbers.Real``.
    left, right : float or None
        Bounds; ``None`` means unbounded.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    type: type
    left: float | None
    right: float | None
    closed: str = "both"

    def accepts(self, value):
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        if isinstance(value, float) and np.isnan(value):
            return False
        left_ok = self.left is None or (
            value >= self.left if self.closed in ("left", "both") else value > self.left
        )
        right_ok = self.right is None or (
            value <= self.right
            if self.closed in ("right", "both")
            else value < self.right
        )
        return left_ok and right_ok

    def __str__(self):
        kind = "an int" if self.type is numbers.Integral else "a number"
        lo = "-inf" if self.left is None else self.left
        hi = "inf" if self.right is None else self.right
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values of a given type."""

    type: type
    options: frozenset

    def __init__(self, type, options):  # noqa: A002 - mirrors scikit-learn
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "options", frozenset(options))

    def accepts(self, value):
        return isinstance(value, self.type) and value in self.options

    def __str__(self):
        return "one of " + ", ".join(repr(o) for o in sorted(self.options, key=str))


def _accepts(constraint, value):
    if constraint is None:
        return value is None
    if isinstance(constraint, (Interval, Options)):
        return constraint.accepts(value)
    if constraint == "callable":
        return callable(value)
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "random_state":
        return (
            value is None
            or isinstance(
                value, (numbers.Integral, np.random.RandomState, np.random.Generator)
            )
            and not isinstance(value, bool)
        )
    if constraint == "array-like":
        return hasattr(value, "__len__") or hasattr(value, "__array__")
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (
            constraint is not bool and isinstance(value, bool)
        )
    raise TypeError(f"Unknown constraint {constraint!r}.")  # developer error


def _describe(constraint):
    if constraint is None:
        return "None"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    if constraint == "random_state":
        return "an int, a numpy RandomState/Generator or None"
    if constraint in ("callable", "boolean", "array-like"):
        return {"callable": "a callable", "boolean": "a bool"}.get(
            constraint, "an array-like"
        )
    return str(constraint)


def check_params(estimator, params=None):
    """Validate ``estimator``'s parameters against ``_parameter_constraints``.

    Parameters
    ----------
    estimator : object
        An object with a ``_parameter_constraints`` class attribute.
    params : dict, default=None
        Values to check; by default ``estimator.get_params(deep=False)``.

    Raises
    ------
    ValueError
        If a parameter is of an accepted type but has a forbidden value.
    TypeError
        If a parameter has a type that no constraint accepts.

    Examples
    --------
    >>> from numbers import Real
    >>> class Toy:
    ...     _parameter_constraints = {"alpha": [Interval(Real, 0, 1, "neither")]}
    ...     alpha = 1.5
    >>> check_params(Toy(), {"alpha": 1.5})
    Traceback (most recent call last):
    ...
    ValueError: The `alpha` parameter of Toy must be a number in (0, 1); got 1.5.
    """
    constraints = getattr(estimator, "_parameter_constraints", {})
    if params is None:
        params = estimator.get_params(deep=False)
    name = type(estimator).__name__
    for key, value in params.items():
        accepted = constraints.get(key)
        if accepted is None or any(_accepts(c, value) for c in accepted):
            continue
        expected = " or ".join(_describe(c) for c in accepted)
        message = f"The `{key}` parameter of {name} must be {expected}; got {value!r}."
        same_type = any(
            isinstance(c, (Interval, Options))
            and isinstance(value, c.type)
            and not isinstance(value, bool)
            for c in accepted
        )
        raise (ValueError if same_type else TypeError)(message)


def check_finite(X, name="X"):
    """Raise a ``ValueError`` naming ``name`` if ``X`` holds NaN or infinity."""
    if X.dtype.kind in "fc" and not np.isfinite(X).all():
        kind = "NaN" if np.isnan(X).any() else "infinity"
        bad = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(
            f"`{name}` contains {kind} (first at index {tuple(int(i) for i in bad)}); "
            "remove or impute non-finite values before calling specauth."
        )


def check_spectra(
    X,
    *,
    name="X",
    ndim=(2,),
    min_samples=1,
    min_length=1,
    dtype=np.float32,
    copy=False,
):
    """Convert ``X`` to a finite float array of spectra and check its shape.

    Parameters
    ----------
    X : array-like
        Spectra, one per row.
    name : str, default="X"
        Argument name used in error messages.
    ndim : tuple of int, default=(2,)
        Accepted numbers of dimensions.
    min_samples : int, default=1
        Minimum number of rows.
    min_length : int, default=1
        Minimum size of the second axis.
    dtype : numpy dtype, default=np.float32
        Output dtype; ``None`` keeps a floating input dtype (float64 stays
        float64) and converts anything else to float64.
    copy : bool, default=False
        Always return a new array (never the caller's).

    Returns
    -------
    X : ndarray
        A validated array; never the caller's object when ``copy=True``.

    Examples
    --------
    >>> check_spectra([[1, 2, 3], [4, 5, 6]]).dtype
    dtype('float32')
    >>> check_spectra([1, 2, 3])
    Traceback (most recent call last):
    ...
    ValueError: `X` must be a 2D array (n_samples, n_points); got an array of
    shape (3,).
    """
    if X is None:
        raise ValueError(f"`{name}` must be an array of spectra; got None.")
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{name}` could not be converted to an array: {err}") from err
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"`{name}` must hold numbers; got values of dtype {arr.dtype} "
                f"that cannot be converted to float ({err})."
            ) from err
    if arr.dtype.kind == "c":
        raise ValueError(f"`{name}` must be real-valued; got complex data.")
    if arr.ndim not in ndim:
        shapes = {
            2: "2D array (n_samples, n_points)",
            3: "3D array (n_samples, n_points, n_channels)",
            4: "4D array (n_samples, height, width, channels)",
        }
        expected = " or ".join(shapes.get(d, f"{d}D array") for d in ndim)
        raise ValueError(
            f"`{name}` must be a {expected}; got an array of shape {arr.shape}."
        )
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"`{name}` must hold at least {min_samples} sample(s); "
            f"got shape {arr.shape}."
        )
    if arr.ndim > 1 and arr.shape[1] < min_length:
        raise ValueError(
            f"`{name}` must have at least {min_length} point(s) per spectrum; "
            f"got shape {arr.shape}."
        )
    if dtype is None:
        target = arr.dtype if arr.dtype.kind == "f" else np.float64
    else:
        target = dtype
    out = arr.astype(target, copy=copy)
    check_finite(out, name)
    return out

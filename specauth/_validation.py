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

Functions and Keras objects that validate their arguments one at a time use
the same vocabulary: :func:`check_value` (a list of constraints),
:func:`check_scalar` (a number in an :class:`Interval`), :func:`check_choice`
(one of some strings), :func:`check_bool`, :func:`check_random_state_value`,
:func:`check_int_tuple`, :func:`check_pair` (``(low, high)``) and
:func:`check_array_1d`. They share one wording: a value of the wrong type
raises ``TypeError("`name` must be <expected>; got <value> of type <type>.")``,
a value of the right type that is not accepted raises
``ValueError("`name` must be <expected>; got <value>.")``. Booleans, numpy
booleans included, are never numbers.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import numpy as np
from sklearn.utils.validation import check_is_fitted

from specauth._axis_checks import validate_data

if TYPE_CHECKING:
    import builtins
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import ArrayLike, DTypeLike, NDArray

_T = TypeVar("_T")

__all__ = [
    "Interval",
    "Options",
    "check_choice",
    "check_scalar",
    "check_value",
    "check_params",
    "check_spectra",
    "check_is_fitted",
    "validate_data",
    "check_finite",
    "FLOATS",
    "check_array_1d",
    "check_bool",
    "check_int_tuple",
    "check_pair",
    "check_random_state_value",
]

#: Floating dtypes the transformers keep (anything else becomes float64).
FLOATS = (np.float64, np.float32)


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
    finite : bool, default=False
        Refuse ``inf`` and ``-inf`` even where the interval is unbounded
        (a learning rate or a class weight of ``inf`` is in ``(0, inf)``
        for Python's comparison operators).
    """

    type: type[Any]
    left: float | None
    right: float | None
    closed: str = "both"
    finite: bool = False

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        if value != value:  # NaN, of any float type
            return False
        if self.finite and value in (math.inf, -math.inf):
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

    def __str__(self) -> str:
        return self.describe(finite=self.finite)

    def describe(self, *, plural: bool = False, finite: bool = False) -> str:
        """Say what the interval accepts: ``"an int in [1, inf)"``.

        ``plural=True`` gives ``"ints in [1, inf)"``; ``finite=True`` adds
        "finite" (``"a finite number in (0, inf)"``).

        Examples
        --------
        >>> Interval(numbers.Integral, 1, None).describe(plural=True)
        'ints in [1, inf)'
        >>> str(Interval(numbers.Real, 0, None, closed="neither"))
        'a number in (0, inf)'
        """
        if self.type is numbers.Integral:
            kind = "ints" if plural else "an int"
        else:
            kind = "numbers" if plural else "a number"
            if finite:
                kind = "finite numbers" if plural else "a finite number"
        lo = "-inf" if self.left is None else self.left
        hi = "inf" if self.right is None else self.right
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values of a given type."""

    type: type[Any]
    options: frozenset

    def __init__(  # noqa: A002 - mirrors scikit-learn
        self, type: builtins.type[Any], options: Iterable[object]
    ) -> None:
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "options", frozenset(options))

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.type) and value in self.options

    def __str__(self) -> str:
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


def check_params(estimator: Any, params: Mapping[str, object] | None = None) -> None:
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
        raise (ValueError if _same_type(accepted, value) else TypeError)(message)


def check_value(name: str, value: _T, constraints: Sequence[object]) -> _T:
    """Return ``value`` if one of ``constraints`` accepts it, else raise.

    The one-value form of :func:`check_params`, for functions and Keras
    objects that validate their arguments directly.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value received.
    constraints : list
        Accepted constraints, as in ``_parameter_constraints``.

    Returns
    -------
    value : object
        ``value`` unchanged.

    Raises
    ------
    ValueError
        If ``value`` is of a type some constraint accepts but has a forbidden
        value.
    TypeError
        If no constraint accepts the type of ``value``.

    Examples
    --------
    >>> from numbers import Integral
    >>> check_value("unfreeze", 0, [Options(str, {"all"}), Interval(Integral, 1, None)])
    Traceback (most recent call last):
    ...
    ValueError: `unfreeze` must be one of 'all' or an int in [1, inf); got 0.
    """
    if any(_accepts(c, value) for c in constraints):
        return value
    expected = " or ".join(_describe(c) for c in constraints)
    if _same_type(constraints, value):
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    raise _type_error(name, expected, value)


def _same_type(constraints, value):
    """Whether an Interval/Options constraint takes values of ``value``'s type."""
    return any(
        isinstance(c, (Interval, Options))
        and isinstance(value, c.type)
        and not isinstance(value, (bool, np.bool_))
        for c in constraints
    )


def check_finite(X: np.ndarray, name: str = "X") -> None:
    """Raise a ``ValueError`` naming ``name`` if ``X`` holds NaN or infinity."""
    if X.dtype.kind in "fc" and not np.isfinite(X).all():
        kind = "NaN" if np.isnan(X).any() else "infinity"
        bad = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(
            f"`{name}` contains {kind} (first at index {tuple(int(i) for i in bad)}); "
            "remove or impute non-finite values before calling specauth."
        )


def check_spectra(
    X: ArrayLike,
    *,
    name: str = "X",
    ndim: tuple[int, ...] = (2,),
    min_samples: int = 1,
    min_length: int = 1,
    dtype: DTypeLike | None = np.float32,
    copy: bool = False,
) -> np.ndarray:
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
    target: DTypeLike
    if dtype is None:
        target = arr.dtype if arr.dtype.kind == "f" else np.float64
    else:
        target = dtype
    out = arr.astype(target, copy=copy)
    check_finite(out, name)
    return out


# ------------------------------------------------------------------ scalars
def _type_error(name, expected, value):
    return TypeError(
        f"`{name}` must be {expected}; got {value!r} of type {type(value).__name__}."
    )


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _expected(interval, *, allow_none=False, finite=False):
    text = interval.describe(finite=finite)
    return f"{text} or None" if allow_none else text


def check_scalar(
    name: str,
    value: object,
    interval: Interval,
    *,
    allow_none: bool = False,
    finite: bool = False,
) -> Any:  # int for an Integral interval, float for a Real one (or None)
    """Return ``value`` as a Python number if ``interval`` accepts it.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value received.
    interval : specauth._validation.Interval
        Accepted type and range. A side left unbounded (``None``) accepts
        infinity unless ``finite=True``.
    allow_none : bool, default=False
        Also accept ``None`` (and return it).
    finite : bool, default=False
        Reject infinities even where the interval is unbounded.

    Returns
    -------
    value : int, float or None
        ``int(value)`` for an ``Integral`` interval, ``float(value)`` for a
        ``Real`` one (so numpy scalars come back as Python numbers).

    Raises
    ------
    TypeError
        If ``value`` is not a number of ``interval.type`` (booleans, numpy
        booleans included, never are; ``None`` is unless ``allow_none``).
    ValueError
        If ``value`` is of the right type but outside the range, NaN, or
        infinite with ``finite=True``.

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> check_scalar("gamma", 0.5, Interval(Real, 0, 1, closed="right"))
    0.5
    >>> check_scalar("gamma", 1.5, Interval(Real, 0, 1, closed="right"))
    Traceback (most recent call last):
    ...
    ValueError: `gamma` must be a number in (0, 1]; got 1.5.
    >>> check_scalar("k", "3", Interval(Integral, 1, None), allow_none=True)
    Traceback (most recent call last):
    ...
    TypeError: `k` must be an int in [1, inf) or None; got '3' of type str.
    """
    if value is None and allow_none:
        return None
    finite = finite or interval.finite
    expected = _expected(interval, allow_none=allow_none, finite=finite)
    if _is_bool(value) or not isinstance(value, interval.type):
        raise _type_error(name, expected, value)
    if not interval.accepts(value) or (finite and value in (np.inf, -np.inf)):
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    return int(value) if interval.type is numbers.Integral else float(value)


@overload
def check_choice(
    name: str,
    value: object,
    choices: Sequence[str],
    *,
    allow_none: Literal[False] = ...,
) -> str: ...
@overload
def check_choice(
    name: str, value: object, choices: Sequence[str], *, allow_none: bool = ...
) -> str | None: ...
def check_choice(
    name: str, value: object, choices: Sequence[str], *, allow_none: bool = False
) -> str | None:
    """Return ``value`` if it is one of the strings ``choices``.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value received.
    choices : sequence of str
        Accepted values, listed in this order in the message.
    allow_none : bool, default=False
        Also accept ``None`` (and return it).

    Returns
    -------
    value : str or None

    Raises
    ------
    TypeError
        If ``value`` is not a str (nor an accepted ``None``).
    ValueError
        If ``value`` is a str that is not one of ``choices``.

    Examples
    --------
    >>> check_choice("mode", "exp_range", ("triangular", "exp_range"))
    'exp_range'
    >>> check_choice("mode", "fast", ("triangular", "exp_range"))
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'triangular', 'exp_range'; got 'fast'.
    >>> check_choice("mode", 1, ("triangular",), allow_none=True)
    Traceback (most recent call last):
    ...
    TypeError: `mode` must be one of 'triangular' or None; got 1 of type int.
    """
    if value is None and allow_none:
        return None
    expected = "one of " + ", ".join(repr(c) for c in choices)
    if allow_none:
        expected += " or None"
    if not isinstance(value, str):
        raise _type_error(name, expected, value)
    if value not in choices:
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    return value


@overload
def check_bool(
    name: str, value: object, *, allow_none: Literal[False] = ...
) -> bool: ...
@overload
def check_bool(name: str, value: object, *, allow_none: bool = ...) -> bool | None: ...
def check_bool(name: str, value: object, *, allow_none: bool = False) -> bool | None:
    """Return ``value`` as a Python bool if it is a bool or a numpy bool.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        The value received; ``0`` and ``1`` are not bools.
    allow_none : bool, default=False
        Also accept ``None`` (and return it).

    Returns
    -------
    value : bool or None

    Raises
    ------
    TypeError
        If ``value`` is not a bool (nor an accepted ``None``).

    Examples
    --------
    >>> import numpy as np
    >>> check_bool("freeze", np.True_)
    True
    >>> check_bool("freeze", 1)
    Traceback (most recent call last):
    ...
    TypeError: `freeze` must be True or False; got 1 of type int.
    """
    if value is None and allow_none:
        return None
    if not _is_bool(value):
        expected = "True, False or None" if allow_none else "True or False"
        raise _type_error(name, expected, value)
    return bool(value)


@overload
def check_random_state_value(
    name: str, value: object, *, high: int | None = ..., generators: Literal[False]
) -> int | None: ...
@overload
def check_random_state_value(
    name: str, value: object, *, high: int | None = ..., generators: bool = ...
) -> int | np.random.RandomState | np.random.Generator | None: ...
def check_random_state_value(
    name: str, value: object, *, high: int | None = 2**32 - 1, generators: bool = True
) -> int | np.random.RandomState | np.random.Generator | None:
    """Return a seed or random generator after checking its type and range.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : object
        ``None``, an int seed in ``[0, high]``, or (with ``generators``) a
        ``numpy.random.RandomState`` or ``numpy.random.Generator``.
    high : int or None, default=2**32 - 1
        Largest accepted seed (``np.random.seed`` accepts up to 2**32 - 1);
        ``None`` for no upper bound.
    generators : bool, default=True
        Accept numpy ``RandomState`` and ``Generator`` objects (returned as
        they are).

    Returns
    -------
    value : None, int, RandomState or Generator
        An int seed comes back as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is of none of the accepted types (booleans never are).
    ValueError
        If ``value`` is an int outside ``[0, high]``.

    Examples
    --------
    >>> check_random_state_value("random_state", 7)
    7
    >>> check_random_state_value("seed", -1, high=None, generators=False)
    Traceback (most recent call last):
    ...
    ValueError: `seed` must be an int in [0, inf) or None; got -1.
    """
    seeds = Interval(numbers.Integral, 0, high)
    expected = f"{seeds}, a numpy RandomState/Generator or None"
    if not generators:
        expected = f"{seeds} or None"
    if value is None:
        return None
    if generators and isinstance(value, (np.random.RandomState, np.random.Generator)):
        return value
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise _type_error(name, expected, value)
    if not seeds.accepts(value):
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    return int(value)


# ---------------------------------------------------------------- sequences
def _is_sequence(value):
    return not isinstance(value, (str, bytes, dict)) and hasattr(value, "__len__")


def check_int_tuple(
    name: str, value: object, *, minimum: int = 1, length: int | None = None
) -> tuple[int, ...]:
    """Return ``value`` as a non-empty tuple of Python ints ``>= minimum``.

    Parameters
    ----------
    name : str
        Argument name used in the message; an entry is named ``name[i]``.
    value : tuple or list
        The value received.
    minimum : int, default=1
        Smallest accepted entry.
    length : int or None, default=None
        Required number of entries; ``None`` accepts any non-zero number.

    Returns
    -------
    value : tuple of int

    Raises
    ------
    TypeError
        If ``value`` is not a tuple or list, or an entry is not an int.
    ValueError
        If ``value`` is empty or of the wrong length, or an entry is below
        ``minimum``.

    Examples
    --------
    >>> import numpy as np
    >>> check_int_tuple("filters", [16, np.int64(32)])
    (16, 32)
    >>> check_int_tuple("filters", (16, 0))
    Traceback (most recent call last):
    ...
    ValueError: `filters[1]` must be an int in [1, inf); got 0.
    """
    entries = Interval(numbers.Integral, minimum, None)
    size = "one or more" if length is None else str(length)
    expected = f"a tuple of {size} {entries.describe(plural=True)}"
    if not isinstance(value, (tuple, list)):
        raise _type_error(name, expected, value)
    if len(value) == 0 or (length is not None and len(value) != length):
        raise ValueError(f"`{name}` must be {expected}; got {tuple(value)!r}.")
    return tuple(check_scalar(f"{name}[{i}]", v, entries) for i, v in enumerate(value))


def check_pair(
    name: str,
    value: Any,
    interval: Interval,
    *,
    strict: bool = False,
    allow_scalar: bool = False,
    finite: bool = False,
) -> tuple[float, float]:
    """Return ``value`` as a pair ``(low, high)`` of numbers in ``interval``.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    value : sequence of 2 numbers, or a number with ``allow_scalar``
        The value received (a tuple, list, array ...; not a str).
    interval : specauth._validation.Interval
        Range of each bound; its type sets the type of the returned numbers.
    strict : bool, default=False
        Require ``low < high`` instead of ``low <= high``.
    allow_scalar : bool, default=False
        Also accept one number ``v``, returned as ``(v, v)``.
    finite : bool, default=False
        Reject infinite bounds even where the interval is unbounded.

    Returns
    -------
    pair : tuple of 2 int or 2 float

    Raises
    ------
    TypeError
        If ``value`` is not a sequence (nor an accepted number), or a bound
        is not a number of ``interval.type``.
    ValueError
        If ``value`` does not hold 2 entries, a bound is outside
        ``interval`` (or NaN), or the bounds are in the wrong order.

    Examples
    --------
    >>> from numbers import Real
    >>> check_pair("sample_range", (-1, 1), Interval(Real, -1, 1), strict=True)
    (-1.0, 1.0)
    >>> check_pair("sample_range", (0.5, 0.5), Interval(Real, -1, 1), strict=True)
    Traceback (most recent call last):
    ...
    ValueError: `sample_range` must be a pair (low, high) with low < high, each a
    number in [-1, 1]; got (0.5, 0.5).
    """
    order = "<" if strict else "<="
    each = interval.describe(finite=finite)
    expected = f"a pair (low, high) with low {order} high, each {each}"
    if allow_scalar:
        expected = f"{each} or {expected}"
    if allow_scalar and not _is_sequence(value):
        if _is_bool(value) or not isinstance(value, interval.type):
            raise TypeError(
                f"`{name}` must be {expected}; got {value!r} "
                f"of type {type(value).__name__}."
            )
        scalar = check_scalar(name, value, interval, finite=finite)
        return scalar, scalar
    if not _is_sequence(value):
        raise _type_error(name, expected, value)
    shown = tuple(value) if isinstance(value, (tuple, list)) else value
    if len(value) != 2:
        raise ValueError(f"`{name}` must be {expected}; got {shown!r}.")
    pair = []
    for bound in value:
        try:
            pair.append(check_scalar(name, bound, interval, finite=finite))
        except (TypeError, ValueError) as err:
            raise type(err)(f"`{name}` must be {expected}; got {shown!r}.") from None
    low, high = pair
    if low > high or (strict and low == high):
        raise ValueError(f"`{name}` must be {expected}; got {shown!r}.")
    return low, high


def check_array_1d(
    name: str,
    values: ArrayLike,
    *,
    length: int | None = None,
    min_length: int = 1,
    finite: bool = True,
    column: bool = False,
) -> NDArray[np.float64]:
    """Return ``values`` as a new 1D float64 array.

    Parameters
    ----------
    name : str
        Argument name used in the message.
    values : array-like
        The values received.
    length : int or None, default=None
        Required number of values; ``None`` accepts any number
        ``>= min_length``.
    min_length : int, default=1
        Smallest accepted number of values.
    finite : bool, default=True
        Reject NaN and infinities.
    column : bool, default=False
        Also accept a column of shape ``(n, 1)``, returned flattened.

    Returns
    -------
    values : ndarray of shape (n,), dtype float64
        Always a copy, never the caller's array.

    Raises
    ------
    ValueError
        If ``values`` is None, does not convert to floats, has the wrong
        shape, holds too few values, or (with ``finite``) NaN or infinity.

    Examples
    --------
    >>> check_array_1d("weights", [1, 2, 3])
    array([1., 2., 3.])
    >>> check_array_1d("weights", [[1, 2], [3, 4]])
    Traceback (most recent call last):
    ...
    ValueError: `weights` must be a 1D array of numbers; got an array of shape (2, 2).
    """
    expected = "a 1D array of numbers"
    if length is not None:
        expected = f"a 1D array of shape ({length},)"
    if values is None:
        raise ValueError(f"`{name}` must be {expected}; got None.")
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"`{name}` must be {expected}; it could not be converted to float ({err})."
        ) from err
    if column and arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or (length is not None and arr.shape[0] != length):
        raise ValueError(
            f"`{name}` must be {expected}; got an array of shape {arr.shape}."
        )
    if arr.size < min_length:
        raise ValueError(
            f"`{name}` must hold at least {min_length} value(s); got {arr.size}."
        )
    if finite:
        check_finite(arr, name)
    return arr

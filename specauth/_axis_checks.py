"""Record the axis an estimator is fitted on; check it at predict time.

:func:`validate_data` is scikit-learn's ``validate_data`` plus the axis: a
pandas DataFrame whose column labels are the axis values (see
:func:`specauth.axis.axis_of_frame`), or the estimator's ``axis`` parameter,
sets ``axis_`` (a :class:`~specauth.axis.SpectralAxis`) and
``feature_names_in_`` (the values as strings) at fit; at predict time a
DataFrame on another axis is refused with a message that says how it differs
and how to resample it.
"""

from __future__ import annotations

import warnings
from typing import Any

from sklearn.utils.validation import validate_data as _sklearn_validate_data

from specauth.axis import SpectralAxis, as_spectral_axis, axis_of_frame

__all__ = [
    "validate_data",
    "check_frame_axis",
    "record_axis",
    "axis_param_constraint",
]

_NO_NAMES = "X does not have valid feature names"


def _n_points(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) not in (2, 3):
        return None
    return int(shape[1])


def record_axis(
    estimator: Any, frame_axis: SpectralAxis | None, n_points: int | None
) -> None:
    """Set ``axis_`` (and ``feature_names_in_``) from a frame or the ``axis`` param.

    Estimators with an ``axis`` parameter always get ``axis_`` (None when no
    axis is known); others get it only when ``X`` carried one.
    """
    has_param = "axis" in getattr(estimator, "_parameter_constraints", {})
    given = getattr(estimator, "axis", None) if has_param else None
    axis = as_spectral_axis(given, n_points, name="axis") if given is not None else None
    if axis is not None and frame_axis is not None:
        problem = axis.mismatch(frame_axis)
        if problem is not None:
            raise ValueError(
                f"The columns of X (a {frame_axis.describe()}) disagree with the "
                f"`axis` parameter of {type(estimator).__name__} "
                f"({axis.describe()}): {problem}. Give one or the other."
            )
    axis = axis or frame_axis
    if axis is not None and n_points is not None and len(axis) != n_points:
        axis = None  # images or an axis of another dimension: not this one
    if axis is not None:
        estimator.axis_ = axis
        estimator.feature_names_in_ = axis.feature_names()
    elif has_param:
        estimator.axis_ = None
    elif hasattr(estimator, "axis_"):
        del estimator.axis_


def check_frame_axis(estimator: Any, X: Any) -> None:
    """Refuse a DataFrame of spectra on an axis other than the fitted ``axis_``.

    Arrays (which carry no axis) and estimators fitted without an axis pass.
    """
    fitted = getattr(estimator, "axis_", None)
    if fitted is None:
        return
    given = axis_of_frame(X)
    if given is None:
        return
    problem = fitted.mismatch(given)
    if problem is None:
        return
    raise ValueError(
        f"X is on another axis than the one {type(estimator).__name__} was "
        f"fitted on: {problem}. Fitted on {fitted.describe()}; X has "
        f"{given.describe()}. Interpolate X onto the fitted axis with "
        "specauth.preprocessing.AxisResampler (first step of the pipeline, or "
        "AxisResampler(axis=estimator.axis_).fit_transform(X)), or crop both "
        "to the same range."
    )


def validate_data(
    estimator: Any,
    X: Any = "no_validation",
    y: Any = "no_validation",
    reset: Any = True,
    **check_params: Any,
) -> Any:
    """scikit-learn's ``validate_data``, recording or checking the spectral axis."""
    frame_axis = None
    if not (isinstance(X, str) and X == "no_validation"):
        frame_axis = axis_of_frame(X)
        if frame_axis is not None:
            if not reset:
                check_frame_axis(estimator, X)
            X = X.to_numpy()  # the column labels are the axis, now kept apart
    with warnings.catch_warnings():
        if getattr(estimator, "axis_", None) is not None and not reset:
            warnings.filterwarnings("ignore", message=_NO_NAMES, category=UserWarning)
        out = _sklearn_validate_data(estimator, X, y, reset=reset, **check_params)
    if reset and not (isinstance(X, str) and X == "no_validation"):
        arr = out[0] if isinstance(out, tuple) else out
        record_axis(estimator, frame_axis, _n_points(arr))
    return out


def axis_param_constraint() -> list[Any]:
    """The ``_parameter_constraints`` entry of an ``axis`` parameter."""
    return [SpectralAxis, "array-like", dict, None]

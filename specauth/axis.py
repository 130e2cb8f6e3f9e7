"""The physical axis of spectra: values, quantity and unit, kept end to end.

A :class:`SpectralAxis` holds the x value of every column of a set of spectra
(energy in keV, wavenumber in cm⁻¹, wavelength in nm, 2θ in degrees ...),
what quantity it is and its unit. Readers return one with the spectra
(:func:`specauth.datasets.read_spectra_axis`), estimators record the one they
were fitted on (``axis_``), check it at predict time and save it with the
model; plots label and orient their x axis with it (wavenumbers decrease to
the right, as IR spectroscopists draw them).

The scikit-learn way to hand an axis to an estimator is a pandas DataFrame
whose column labels are the axis values (numbers, or strings that are
numbers); the name of the column index (``df.columns.name``), such as
``"wavenumber (cm-1)"``, gives the quantity and unit. Arrays take the axis
through the estimator's ``axis`` parameter. :func:`axis_of_frame` does the
reading, :func:`estimator_axis` answers "on which axis was this (pipeline)
fitted, and on which does its last step see the data".

This module imports numpy only (pandas is never required).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike

__all__ = [
    "SpectralAxis",
    "parse_axis_label",
    "as_spectral_axis",
    "axis_of_frame",
    "feature_names_of",
    "axis_from_feature_names",
    "estimator_axis",
    "resample_spectra",
    "QUANTITIES",
]

#: The quantities an axis can be: canonical name -> (aliases, the unit assumed
#: when none is given -- only where there is one customary unit: cm⁻¹ for
#: wavenumbers, degrees for 2θ; energies, wavelengths and q need theirs --,
#: printed name, drawn decreasing to the right).
QUANTITIES: dict[str, tuple[tuple[str, ...], str | None, str, bool]] = {
    "energy": (
        ("energy", "e", "gamma energy", "photon energy"),
        "keV",
        "energy",
        False,
    ),
    "wavenumber": (
        ("wavenumber", "wavenumbers", "wave number", "wn", "nu"),
        "cm⁻¹",
        "wavenumber",
        True,
    ),
    "raman_shift": (
        ("raman shift", "raman_shift", "shift"),
        "cm⁻¹",
        "Raman shift",
        False,
    ),
    "wavelength": (
        ("wavelength", "wavelengths", "lambda", "wl"),
        "nm",
        "wavelength",
        False,
    ),
    "two_theta": (
        ("two_theta", "2theta", "2-theta", "2 theta", "2θ", "twotheta", "tth"),
        "°",
        "2θ",
        False,
    ),
    "q": (("q", "momentum transfer", "scattering vector"), None, "q", False),
    "channel": (("channel", "channels", "index", "bin"), None, "channel", False),
}

# spelling (lower case, spaces removed) -> printed unit
_UNITS = {
    "kev": "keV",
    "ev": "eV",
    "mev": "MeV",
    "cm-1": "cm⁻¹",
    "cm^-1": "cm⁻¹",
    "cm^{-1}": "cm⁻¹",
    "1/cm": "cm⁻¹",
    "cm⁻¹": "cm⁻¹",
    "nm": "nm",
    "um": "µm",
    "µm": "µm",
    "μm": "µm",
    "micron": "µm",
    "microns": "µm",
    "deg": "°",
    "degree": "°",
    "degrees": "°",
    "°": "°",
    "a-1": "Å⁻¹",
    "1/a": "Å⁻¹",
    "å-1": "Å⁻¹",
    "å⁻¹": "Å⁻¹",
    "1/å": "Å⁻¹",
    "nm-1": "nm⁻¹",
    "1/nm": "nm⁻¹",
}
# a unit alone tells the quantity
_UNIT_QUANTITY = {
    "keV": "energy",
    "eV": "energy",
    "MeV": "energy",
    "cm⁻¹": "wavenumber",
    "nm": "wavelength",
    "µm": "wavelength",
    "°": "two_theta",
    "Å⁻¹": "q",
    "nm⁻¹": "q",
}
_LABEL = re.compile(
    r"^\s*(?P<name>[^()\[\]/]*?)\s*(?:[(\[](?P<u1>[^)\]]*)[)\]]|/\s*(?P<u2>\S+))?\s*$"
)


def _quantity_of(name: str) -> str | None:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    for quantity, (aliases, *_) in QUANTITIES.items():
        if key in {a.replace("_", " ") for a in aliases}:
            return quantity
    return None


def _unit_of(text: str) -> str:
    key = text.strip().replace(" ", "")
    return _UNITS.get(key.lower(), _UNITS.get(key, text.strip()))


def parse_axis_label(label: str) -> tuple[str | None, str | None]:
    """Return ``(quantity, unit)`` read from a label such as ``"Energy (keV)"``.

    Recognised forms: ``"name (unit)"``, ``"name [unit]"``, ``"name / unit"``,
    a bare quantity (``"wavenumber"``: cm⁻¹ is assumed, as degrees for 2θ) or a bare
    unit (``"cm-1"``: its quantity is assumed). A name that is no known
    quantity is kept as written.

    Examples
    --------
    >>> parse_axis_label("Wavenumber (cm-1)")
    ('wavenumber', 'cm⁻¹')
    >>> parse_axis_label("2theta / deg")
    ('two_theta', '°')
    >>> parse_axis_label("keV")
    ('energy', 'keV')
    >>> parse_axis_label("Raman shift")
    ('raman_shift', 'cm⁻¹')
    """
    match = _LABEL.match(label or "")
    if match is None:
        return label.strip() or None, None
    name = match["name"] or ""
    unit_text = match["u1"] or match["u2"]
    unit = _unit_of(unit_text) if unit_text else None
    quantity = _quantity_of(name) if name else None
    if not name and unit is None:
        return None, None
    if unit is None and quantity is None:
        as_unit = _unit_of(name)
        if as_unit in _UNIT_QUANTITY:
            return _UNIT_QUANTITY[as_unit], as_unit
        return name.strip(), None
    if quantity is None and name:
        quantity = name.strip()
    if quantity is None and unit in _UNIT_QUANTITY:
        quantity = _UNIT_QUANTITY[unit]
    if unit is None and quantity in QUANTITIES:
        unit = QUANTITIES[quantity][1]
    return quantity, unit


@dataclass(frozen=True, eq=False)
class SpectralAxis:
    """The x value of every column of spectra, with its quantity and unit.

    Parameters
    ----------
    values : array-like of shape (n_points,)
        One finite value per column, strictly increasing or strictly
        decreasing (IR files often run from 4000 down to 400 cm⁻¹).
    quantity : str, default=None
        What the values are: ``"energy"``, ``"wavenumber"``,
        ``"raman_shift"``, ``"wavelength"``, ``"two_theta"``, ``"q"``,
        ``"channel"`` (any alias such as ``"2theta"`` is accepted), or any
        other name, kept as written. ``None``: unknown.
    unit : str, default=None
        ``"keV"``, ``"cm-1"``, ``"nm"``, ``"deg"`` ... (spellings are
        normalised: ``"cm-1"`` becomes ``"cm⁻¹"``). ``None``: cm⁻¹ for
        wavenumbers and Raman shifts, degrees for 2θ, else none (an energy
        could be eV, keV or MeV: give it).

    Attributes
    ----------
    values : ndarray of shape (n_points,), float64
        A read-only copy of the values.
    label : str
        The axis label for plots, e.g. ``"wavenumber (cm⁻¹)"``.
    decreasing_display : bool
        Whether plots draw the axis decreasing to the right (wavenumbers).

    Examples
    --------
    >>> from specauth.axis import SpectralAxis
    >>> axis = SpectralAxis([400.0, 401.0, 402.0], "wavenumber", "cm-1")
    >>> axis.label, axis.decreasing_display, len(axis)
    ('wavenumber (cm⁻¹)', True, 3)
    >>> SpectralAxis.from_label([10.0, 20.0], "2theta (deg)").label
    '2θ (°)'
    """

    values: np.ndarray
    quantity: str | None = None
    unit: str | None = None
    _key: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=np.float64, copy=True)
        if values.ndim != 1 or values.size < 1:
            raise ValueError(
                "The values of a spectral axis must be a non-empty 1D sequence "
                f"(one per column); got shape {values.shape}."
            )
        if not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(
                f"The values of a spectral axis must be finite; value {bad} is "
                f"{values[bad]}."
            )
        if values.size > 1:
            steps = np.diff(values)
            if not (np.all(steps > 0) or np.all(steps < 0)):
                i = int(np.argmax(steps * np.sign(steps[0]) <= 0))
                raise ValueError(
                    "The values of a spectral axis must be strictly increasing "
                    f"or strictly decreasing; value {i} is {values[i]:g} and "
                    f"value {i + 1} is {values[i + 1]:g}. Sort the columns of "
                    "the spectra and the axis together first."
                )
        values.flags.writeable = False
        quantity = self.quantity
        if quantity is not None:
            if not isinstance(quantity, str):
                raise TypeError(
                    f"`quantity` must be a str or None; got {type(quantity).__name__}."
                )
            quantity = _quantity_of(quantity) or quantity.strip() or None
        unit = self.unit
        if unit is not None:
            if not isinstance(unit, str):
                raise TypeError(
                    f"`unit` must be a str or None; got {type(unit).__name__}."
                )
            unit = _unit_of(unit) or None
        if unit is None and quantity in QUANTITIES:
            unit = QUANTITIES[quantity][1]
        if quantity is None and unit in _UNIT_QUANTITY:
            quantity = _UNIT_QUANTITY[unit]
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "_key", (quantity, unit))

    # ------------------------------------------------------------ creation
    @classmethod
    def from_label(cls, values: ArrayLike, label: str | None) -> SpectralAxis:
        """Make an axis from values and a label like ``"Energy (keV)"``."""
        quantity, unit = parse_axis_label(label) if label else (None, None)
        return cls(np.asarray(values, dtype=np.float64), quantity, unit)

    @classmethod
    def channels(cls, n_points: int) -> SpectralAxis:
        """The axis of column indices ``0 .. n_points - 1`` (quantity "channel")."""
        return cls(np.arange(n_points, dtype=np.float64), "channel")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpectralAxis:
        """Rebuild an axis written by :meth:`to_dict` (a JSON-able dict)."""
        if not isinstance(data, dict) or "values" not in data:
            raise ValueError(
                "A saved spectral axis must be a dict with 'values' (and "
                f"optionally 'quantity' and 'unit'); got {data!r:.80}."
            )
        return cls(data["values"], data.get("quantity"), data.get("unit"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: ``{"values": [...], "quantity": ..., "unit": ...}``."""
        return {
            "values": [float(v) for v in self.values],
            "quantity": self.quantity,
            "unit": self.unit,
        }

    # ------------------------------------------------------------- reading
    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __repr__(self) -> str:
        v = self.values
        span = f"{v[0]:g}..{v[-1]:g}" if v.size > 1 else f"{v[0]:g}"
        return (
            f"SpectralAxis({span}, {v.size} points, quantity={self.quantity!r}, "
            f"unit={self.unit!r})"
        )

    @property
    def label(self) -> str:
        """``"quantity (unit)"`` as printed on plots, e.g. ``"energy (keV)"``."""
        name = self.quantity or "x"
        if name in QUANTITIES:
            name = QUANTITIES[name][2]
        return f"{name} ({self.unit})" if self.unit else name

    @property
    def decreasing_display(self) -> bool:
        """Whether plots draw this axis decreasing to the right (wavenumbers)."""
        return bool(self.quantity in QUANTITIES and QUANTITIES[self.quantity][3])

    @property
    def increasing(self) -> bool:
        """Whether the values increase from the first column to the last."""
        return bool(self.values.size < 2 or self.values[-1] > self.values[0])

    def describe(self) -> str:
        """A description for messages: ``"wavenumber 4000..400 cm⁻¹ (1801 points)"``."""
        v = self.values
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.quantity or 'axis'} {v[0]:g}..{v[-1]:g}{unit} ({v.size} points)"

    def same_as(self, other: SpectralAxis, *, tolerance: float = 1e-3) -> bool:
        """Whether ``other`` has the same points (within ``tolerance`` of a step).

        Quantities and units are compared when both axes have them.
        """
        if len(self) != len(other):
            return False
        for mine, theirs in zip(self._key, other._key, strict=True):
            if mine is not None and theirs is not None and mine != theirs:
                return False
        v = self.values
        step = float(np.min(np.abs(np.diff(v)))) if v.size > 1 else max(abs(v[0]), 1.0)
        return bool(np.all(np.abs(v - other.values) <= tolerance * step))

    def mismatch(self, other: SpectralAxis) -> str | None:
        """Say how ``other`` differs from this axis, or None when they are the same."""
        if self.same_as(other):
            return None
        for what, mine, theirs in (
            ("quantity", self.quantity, other.quantity),
            ("unit", self.unit, other.unit),
        ):
            if mine is not None and theirs is not None and mine != theirs:
                return f"the {what} differs: {theirs!r} instead of {mine!r}"
        if len(self) != len(other):
            return f"{len(other)} points instead of {len(self)}"
        worst = int(np.argmax(np.abs(self.values - other.values)))
        return (
            f"point {worst} is at {other.values[worst]:g} instead of "
            f"{self.values[worst]:g}"
        )

    def subset(self, mask_or_index: Any) -> SpectralAxis:
        """The axis of the selected columns (a boolean mask or indices)."""
        return SpectralAxis(self.values[mask_or_index], self.quantity, self.unit)

    def with_values(self, values: ArrayLike) -> SpectralAxis:
        """An axis with other values and the same quantity and unit."""
        return SpectralAxis(
            np.asarray(values, dtype=np.float64), self.quantity, self.unit
        )

    def feature_names(self) -> np.ndarray:
        """The values as strings (``feature_names_in_`` of estimators)."""
        return feature_names_of(self.values)


def feature_names_of(values: ArrayLike) -> np.ndarray:
    """Format axis values as scikit-learn feature names (shortest exact text).

    Examples
    --------
    >>> feature_names_of([400.0, 400.5, 1e-7])
    array(['400', '400.5', '1e-07'], dtype=object)
    """
    out = [repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    out = [s[:-2] if s.endswith(".0") else s for s in out]
    return np.array(out, dtype=object)


def axis_from_feature_names(
    names: Sequence[Any] | None, *, quantity: str | None = None, unit: str | None = None
) -> SpectralAxis | None:
    """The axis whose values the feature names spell, or None if they are not one.

    Names must all be numbers (or strings that are numbers) forming a strictly
    monotonic sequence; anything else (``"pca0"``, ``"x3"``) gives None.

    Examples
    --------
    >>> axis_from_feature_names(["1000", "1001.5", "1003"], quantity="wavenumber")
    SpectralAxis(1000..1003, 3 points, quantity='wavenumber', unit='cm⁻¹')
    >>> axis_from_feature_names(["a", "b"]) is None
    True
    """
    if names is None:
        return None
    try:
        values = np.array([float(n) for n in names], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if values.size < 1 or any(isinstance(n, bool) for n in names):
        return None
    try:
        return SpectralAxis(values, quantity, unit)
    except ValueError:
        return None


def axis_of_frame(X: Any) -> SpectralAxis | None:
    """The axis a pandas DataFrame carries in its column labels, or None.

    Column labels that are all numbers (or strings that are numbers) and
    strictly monotonic are the axis values; ``X.columns.name`` (for example
    ``"wavenumber (cm-1)"``) gives its quantity and unit. Anything that is not
    a DataFrame, or whose columns are not such numbers, gives None.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([[0.1, 0.2, 0.3]], columns=[1800.0, 1799.0, 1798.0])
    >>> frame.columns.name = "wavenumber (cm-1)"
    >>> axis_of_frame(frame).label
    'wavenumber (cm⁻¹)'
    >>> axis_of_frame(pd.DataFrame([[1, 2]], columns=["a", "b"])) is None
    True
    """
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    name = getattr(columns, "name", None)
    quantity, unit = parse_axis_label(str(name)) if name else (None, None)
    return axis_from_feature_names(list(columns), quantity=quantity, unit=unit)


def as_spectral_axis(
    axis: Any, n_points: int | None = None, *, name: str = "axis"
) -> SpectralAxis | None:
    """Validate an axis given by a user: a :class:`SpectralAxis`, values or a dict.

    Parameters
    ----------
    axis : SpectralAxis, array-like, dict or None
        ``None`` gives None.
    n_points : int, default=None
        The number of columns the axis must have.
    name : str, default="axis"
        The argument's name, for error messages.

    Examples
    --------
    >>> as_spectral_axis([1.0, 2.0, 3.0], 3)
    SpectralAxis(1..3, 3 points, quantity=None, unit=None)
    >>> as_spectral_axis([1.0, 2.0], 3)
    Traceback (most recent call last):
    ...
    ValueError: `axis` has 2 values but the spectra have 3 points (columns); ...
    """
    if axis is None:
        return None
    if isinstance(axis, SpectralAxis):
        result = axis
    elif isinstance(axis, dict):
        result = SpectralAxis.from_dict(axis)
    elif isinstance(axis, (str, bytes)):
        raise TypeError(
            f"`{name}` must be the axis values (array-like) or a SpectralAxis; "
            f"got the string {axis!r}."
        )
    else:
        try:
            result = SpectralAxis(axis)
        except (TypeError, ValueError) as err:
            raise ValueError(f"`{name}` is not a valid spectral axis: {err}") from err
    if n_points is not None and len(result) != n_points:
        raise ValueError(
            f"`{name}` has {len(result)} values but the spectra have {n_points} "
            "points (columns); give one axis value per column."
        )
    return result


def _steps(estimator: Any) -> list[Any]:
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        return [step for _, step in steps if step not in (None, "passthrough")]
    return [estimator]


def estimator_axis(estimator: Any, *, where: str = "input") -> SpectralAxis | None:
    """The axis a fitted estimator or pipeline saw, or None if it had none.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Fitted.
    where : {"input", "final"}, default="input"
        ``"input"``: the axis of the spectra given to ``fit`` (and expected
        at predict time). ``"final"``: the axis of the data the last step
        sees, after crops and resamplings of a pipeline; this is the axis of
        a network's input, of its class activation maps and of explanations.

    Returns
    -------
    axis : SpectralAxis or None
        The steps' ``axis_`` attributes first; a transformer without one keeps
        the axis through ``get_feature_names_out`` (names that are numbers),
        or when it keeps the number of columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from specauth.preprocessing import Crop, SpectrumNormalizer
    >>> axis = SpectralAxis(np.linspace(2000.0, 1000.0, 11), "wavenumber")
    >>> pipe = make_pipeline(Crop(1200, 1600, axis=axis), SpectrumNormalizer())
    >>> _ = pipe.fit(np.ones((2, 11)))
    >>> estimator_axis(pipe)
    SpectralAxis(2000..1000, 11 points, quantity='wavenumber', unit='cm⁻¹')
    >>> estimator_axis(pipe, where="final")
    SpectralAxis(1600..1200, 5 points, quantity='wavenumber', unit='cm⁻¹')
    """
    if where not in ("input", "final"):
        raise ValueError(f"`where` must be 'input' or 'final'; got {where!r}.")
    steps = _steps(estimator)
    start, axis = _first_axis(steps)
    if axis is None or where == "input":
        return axis
    for step in steps[start:-1]:
        axis = _after(step, axis)
        if axis is None:
            return None
    own = getattr(steps[-1], "axis_", None)
    return own if own is not None and len(own) == len(axis) else axis


def _first_axis(steps: list[Any]) -> tuple[int, SpectralAxis | None]:
    """The first step with an ``axis_`` and its axis, when the steps before it
    keep the number of points (a chemotools SNV before an estimator that
    recorded the axis); ``(0, None)`` otherwise."""
    for index, step in enumerate(steps):
        axis = getattr(step, "axis_", None)
        if isinstance(axis, SpectralAxis):
            return index, axis
        n_in = getattr(step, "n_features_in_", None)
        if n_in is None or _n_features_out(step) != n_in:
            break
    return 0, None


def _after(step: Any, axis: SpectralAxis) -> SpectralAxis | None:
    """The axis after the transformer ``step`` (None when it is lost)."""
    out = getattr(step, "axis_out_", None)
    if isinstance(out, SpectralAxis):
        return out
    getter = getattr(step, "get_feature_names_out", None)
    if getter is not None:
        try:
            names = getter(axis.feature_names())
        except Exception:  # noqa: BLE001 - any refusal means: names unknown
            names = None
        if names is not None:
            found = axis_from_feature_names(
                list(names), quantity=axis.quantity, unit=axis.unit
            )
            if found is not None:
                return found
    n_out = _n_features_out(step)
    return axis if n_out == len(axis) else None


def _n_features_out(step: Any) -> int | None:
    n_in = getattr(step, "n_features_in_", None)
    if n_in is None:
        return None
    n_out = getattr(step, "n_features_out_", None)
    if n_out is not None:
        return int(n_out)
    try:
        probe = np.zeros((1, int(n_in)))
        return int(np.asarray(step.transform(probe)).shape[-1])
    except Exception:  # noqa: BLE001 - a step that cannot be probed loses the axis
        return None


def resample_spectra(
    X: ArrayLike,
    source: SpectralAxis | ArrayLike,
    target: SpectralAxis | ArrayLike,
    *,
    method: str = "linear",
    out_of_range: str = "error",
) -> np.ndarray:
    """Interpolate spectra from one axis onto another.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_source_points)
        Spectra sampled at ``source``.
    source, target : SpectralAxis or array-like
        The axis of ``X`` and the axis wanted (any direction: the values are
        sorted before interpolating).
    method : {"linear", "cubic"}, default="linear"
        Piecewise-linear (``numpy.interp``) or a natural cubic spline
        (``scipy.interpolate.CubicSpline``).
    out_of_range : {"error", "edge", "zero"}, default="error"
        What to do with target points outside the source range (beyond half
        a source step): refuse, repeat the edge value, or put zero.

    Returns
    -------
    X_new : ndarray of shape (n_samples, n_target_points), float64

    Examples
    --------
    >>> import numpy as np
    >>> resample_spectra([[0.0, 10.0, 20.0]], [0.0, 1.0, 2.0], [0.5, 1.5])
    array([[ 5., 15.]])
    """
    src = as_spectral_axis(source, name="source")
    tgt = as_spectral_axis(target, name="target")
    if src is None or tgt is None:
        raise ValueError("`source` and `target` must be spectral axes, not None.")
    if method not in ("linear", "cubic"):
        raise ValueError(f"`method` must be 'linear' or 'cubic'; got {method!r}.")
    if out_of_range not in ("error", "edge", "zero"):
        raise ValueError(
            f"`out_of_range` must be 'error', 'edge' or 'zero'; got {out_of_range!r}."
        )
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] != len(src):
        raise ValueError(
            f"`X` must be spectra of {len(src)} points (one per value of the "
            f"source axis); got shape {arr.shape}."
        )
    order = np.argsort(src.values)
    xs, ys = src.values[order], arr[:, order]
    half = 0.5 * float(np.min(np.diff(xs))) if xs.size > 1 else 0.0
    lo, hi = xs[0] - half, xs[-1] + half
    x_new = tgt.values
    outside = (x_new < lo) | (x_new > hi)
    if outside.any() and out_of_range == "error":
        raise ValueError(
            f"The target axis ({tgt.describe()}) reaches beyond the spectra's "
            f"axis ({src.describe()}): {int(outside.sum())} target points lie "
            "outside it. Crop the target axis, or pass out_of_range='edge' or "
            "'zero'."
        )
    if method == "linear" or xs.size < 3:
        out = np.stack([np.interp(x_new, xs, row) for row in ys])
    else:
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(xs, ys, axis=1, bc_type="natural", extrapolate=False)
        out = spline(np.clip(x_new, xs[0], xs[-1]))
    if out_of_range == "zero":
        out[:, outside] = 0.0
    return out

"""Geometry, colour scale and top regions of importance plots (numpy only).

Shared by the matplotlib (:mod:`.spectrum`) and bokeh (:mod:`.interactive`)
drawings, so both cut the spectrum into the same per-point pieces, scale the
colours the same way and name the same regions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "point_segments",
    "point_polygons",
    "column_rectangles",
    "ImportanceScale",
    "importance_scale",
    "default_importance_label",
    "Region",
    "top_regions",
    "region_text",
    "stack_labels",
]

# Smallest peak prominence (fraction of the largest |importance|) that counts
# as a region, and the height (fraction of the peak) where its edges are read.
_MIN_PROMINENCE = 0.1
_EDGE_HEIGHT = 0.5


def point_segments(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One polyline per point, from the midpoint before it to the one after.

    Returns an array of shape ``(n_points, 3, 2)``, so that each point -- not
    each gap between points -- carries one colour.
    """
    mid_x = (x[:-1] + x[1:]) / 2
    mid_y = (y[:-1] + y[1:]) / 2
    start_x = np.concatenate([x[:1], mid_x])
    start_y = np.concatenate([y[:1], mid_y])
    end_x = np.concatenate([mid_x, x[-1:]])
    end_y = np.concatenate([mid_y, y[-1:]])
    return np.stack(
        [
            np.column_stack([start_x, start_y]),
            np.column_stack([x, y]),
            np.column_stack([end_x, end_y]),
        ],
        axis=1,
    )


def point_polygons(x: np.ndarray, y: np.ndarray, baseline: float) -> np.ndarray:
    """The area between ``baseline`` and the curve, one polygon per point.

    Returns an array of shape ``(n_points, 5, 2)``: the piece of the curve of
    :func:`point_segments` closed down to the baseline, so that the polygons
    tile the area under the curve without gaps or overlaps.
    """
    top = point_segments(x, y)
    base = np.full(x.size, float(baseline))
    left = np.column_stack([top[:, 0, 0], base])
    right = np.column_stack([top[:, 2, 0], base])
    return np.concatenate([left[:, None], top, right[:, None]], axis=1)


def column_rectangles(x: np.ndarray, bottom: float, top: float) -> np.ndarray:
    """One rectangle per point from ``bottom`` to ``top``, shape ``(n, 4, 2)``.

    Each spans from the midpoint with the previous point to the midpoint with
    the next one (the ends stop at the first and last point).
    """
    pieces = point_segments(x, np.zeros_like(x))
    start, end = pieces[:, 0, 0], pieces[:, 2, 0]
    low = np.full(x.size, float(bottom))
    high = np.full(x.size, float(top))
    corners = [(start, low), (start, high), (end, high), (end, low)]
    return np.stack([np.column_stack(c) for c in corners], axis=1)


class ImportanceScale(NamedTuple):
    """Colour scale of importances: ``signed`` ones are centred on zero."""

    signed: bool
    vmin: float
    vmax: float


def importance_scale(
    weights: np.ndarray,
    signed: bool | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> ImportanceScale:
    """The colour range of ``weights`` (all panels' importances together).

    Signed (``signed=None``: any value < 0): symmetric about zero,
    ``-max|w| .. max|w|``. Not signed: ``min(0, min w) .. max w``, so that a
    non-negative map starts at zero. ``vmin``/``vmax`` replace either end.
    """
    signed = bool(weights.min() < 0) if signed is None else bool(signed)
    if signed:
        bound = float(np.max(np.abs(weights))) or 1.0
        low = -bound if vmin is None else float(vmin)
        high = bound if vmax is None else float(vmax)
        if not low < 0 < high:
            raise ValueError(
                "Signed importances are coloured around zero, so `vmin` must be "
                f"< 0 < `vmax`; got vmin={low:g}, vmax={high:g}."
            )
        return ImportanceScale(True, low, high)
    low = min(0.0, float(weights.min())) if vmin is None else float(vmin)
    high = float(weights.max()) if vmax is None else float(vmax)
    if high <= low:
        if vmin is not None and vmax is not None:
            raise ValueError(f"`vmin` must be < `vmax`; got {low:g} and {high:g}.")
        high = low + 1.0
    return ImportanceScale(False, low, high)


def default_importance_label(weights: np.ndarray, signed: bool) -> str:
    """The colour bar label when the caller gives none."""
    if signed:
        return "signed importance"
    if weights.min() >= 0 and np.isclose(weights.max(), 1.0):
        return "relative importance (max = 1)"
    return "importance"


class Region(NamedTuple):
    """Points ``start .. stop`` (inclusive) around the peak ``peak``."""

    start: int
    stop: int
    peak: int


def _candidates(weights: np.ndarray) -> list[Region]:
    """Peaks of ``|weights|`` with their half-height extent, highest first."""
    from scipy.signal import find_peaks, peak_widths

    strength = np.abs(weights)
    last = strength.size - 1
    padded = np.concatenate([[0.0], strength, [0.0]])  # ends can be peaks
    peaks, found = find_peaks(padded, prominence=_MIN_PROMINENCE * strength.max())
    if peaks.size == 0:
        return []
    prominence = (found["prominences"], found["left_bases"], found["right_bases"])
    _, _, left, right = peak_widths(
        padded, peaks, rel_height=_EDGE_HEIGHT, prominence_data=prominence
    )
    peaks = peaks - 1
    starts = np.clip(np.ceil(left).astype(int) - 1, 0, peaks)
    stops = np.clip(np.floor(right).astype(int) - 1, peaks, last)
    order = np.argsort(-strength[peaks], kind="stable")
    return [Region(int(starts[i]), int(stops[i]), int(peaks[i])) for i in order]


def top_regions(weights: np.ndarray, k: int) -> list[Region]:
    """The ``k`` strongest regions of ``|weights|``, strongest first.

    A region is a peak of ``|weights|`` (prominence at least a tenth of the
    largest value) with the points around it above half the peak's
    prominence. Regions of the same sign that overlap or touch are merged.
    """
    strength = np.abs(weights)
    if k <= 0 or strength.max() <= 0:
        return []
    chosen: list[Region] = []
    for candidate in _candidates(weights):
        sign = np.sign(weights[candidate.peak])
        near = [
            r
            for r in chosen
            if np.sign(weights[r.peak]) == sign
            and candidate.start <= r.stop + 1
            and candidate.stop >= r.start - 1
        ]
        if not near and len(chosen) == k:
            break
        group = [candidate, *near]
        chosen = [r for r in chosen if r not in near]
        peak = max(group, key=lambda r: strength[r.peak]).peak
        start, stop = min(r.start for r in group), max(r.stop for r in group)
        chosen.append(Region(start, stop, peak))
    return sorted(chosen, key=lambda r: -strength[r.peak])


def _decimals(values: np.ndarray) -> int:
    """Decimals that tell neighbouring axis values apart (0 .. 6)."""
    if values.size < 2:
        return 0
    step = float(np.min(np.abs(np.diff(values))))
    return int(np.clip(np.ceil(-np.log10(step) - 1e-6), 0, 6))


def region_text(values: np.ndarray, region: Region, unit: str | None = None) -> str:
    """``"1650 cm⁻¹"`` for a narrow region, ``"1601–1688 cm⁻¹"`` for a wide one.

    The range is written low to high whatever the axis direction, with as
    many decimals as the axis step needs.
    """
    digits = _decimals(values)
    low, high = sorted((values[region.start], values[region.stop]))
    low_text, high_text = f"{low:.{digits}f}", f"{high:.{digits}f}"
    text = low_text if low_text == high_text else f"{low_text}–{high_text}"
    if region.start == region.stop:
        text = f"{values[region.peak]:.{digits}f}"
    return f"{text} {unit}" if unit else text


def stack_labels(
    anchors: np.ndarray, widths: np.ndarray, height: float, gap: float
) -> list[int]:
    """Row of each label so that no two overlap (all sizes in pixels).

    Label ``i`` is centred above ``anchors[i]`` (x, y), ``gap`` above it in
    row 0 and one ``height`` higher per row; labels are placed in the given
    order, each in the lowest row where it overlaps none placed before.
    """
    boxes: list[tuple[float, float, float, float]] = []
    rows = []
    for (x, y), width in zip(anchors, widths, strict=True):
        row = 0
        while True:
            bottom = y + gap + row * height
            box = (x - width / 2, x + width / 2, bottom, bottom + height)
            if not any(_overlap(box, other) for other in boxes):
                break
            row += 1
        boxes.append(box)
        rows.append(row)
    return rows


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

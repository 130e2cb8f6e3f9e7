"""Importance plots for papers: band, background, colour scales, labels, panels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import Normalize, TwoSlopeNorm  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from specauth.axis import SpectralAxis  # noqa: E402
from specauth.explain.plots import (  # noqa: E402
    plot_importance_panels,
    plot_spectrum_importance,
)

N = 100
# 1000, 1001, ... 1099 cm⁻¹: index i is at 1000 + i.
WAVENUMBERS = SpectralAxis(np.arange(1000.0, 1100.0), "wavenumber", "cm-1")
SPECTRUM = 1.0 + np.sin(np.linspace(0, 6, N)) ** 2


def _hand_made_importance():
    """Plateau 1.0 at 1010-1014, spike 0.8 at 1050, 0.6 at 1080-1089, and
    0.5 at 1060-1064 touching a smaller peak 0.45 at 1066-1069 (one region).
    A bump of 0.3 at 1030 is the fifth strongest."""
    w = np.zeros(N)
    w[10:15] = 1.0
    w[30] = 0.3
    w[50] = 0.8
    w[60:65] = 0.5
    w[65] = 0.3
    w[66:70] = 0.45
    w[80:90] = 0.6
    return w


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _band(ax):
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    return bands[0]


def _facecolors(collection):
    collection.update_scalarmappable()
    return collection.get_facecolors()


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------- band style
def test_band_fills_under_the_line_coloured_by_importance():
    w = _hand_made_importance()
    ax = plot_spectrum_importance(SPECTRUM, w, axis=WAVENUMBERS, top_k=0)
    band = _band(ax)
    np.testing.assert_allclose(band.get_array(), w)
    paths = band.get_paths()
    assert len(paths) == N  # one polygon per point, not one artist per point
    vertices = np.array([p.vertices[:5] for p in paths])
    # Each polygon reaches up to its point and down to the baseline, which is
    # the bottom of the plot (5 % of the intensity range below the minimum).
    np.testing.assert_allclose(
        vertices[:, 2], np.column_stack([1000 + np.arange(N), SPECTRUM])
    )
    baseline = SPECTRUM.min() - 0.05 * np.ptp(SPECTRUM)
    np.testing.assert_allclose(vertices[:, [0, 4], 1], baseline)
    assert ax.get_ylim()[0] == pytest.approx(baseline)
    # The spectrum itself is one black line on top.
    assert len(ax.lines) == 1
    np.testing.assert_allclose(ax.lines[0].get_ydata(), SPECTRUM)
    # Sequential scale from 0: the most important points get the darkest
    # colour of the map, points of zero importance its lightest.
    assert type(band.norm) is Normalize
    assert (band.norm.vmin, band.norm.vmax) == (0.0, 1.0)
    colours = _facecolors(band)
    top_colour = band.cmap(1.0)
    np.testing.assert_allclose(colours[12], top_colour)
    np.testing.assert_allclose(colours[0], band.cmap(0.0))
    lightness = colours[:, :3].sum(axis=1)
    assert np.argmin(lightness) in range(10, 15)


def test_band_baseline_can_be_given_and_many_points_make_one_collection():
    x = np.linspace(0, 1, 5000)
    ax = plot_spectrum_importance(
        np.sin(20 * x) + 2, x, baseline=0.0, top_k=0, colorbar=False
    )
    assert len(ax.collections) == 1 and len(ax.lines) == 1
    vertices = _band(ax).get_paths()[7].vertices
    assert vertices[0, 1] == 0.0 and vertices[4, 1] == 0.0


def test_background_spans_the_full_height_behind_the_line():
    w = _hand_made_importance()
    ax = plot_spectrum_importance(
        SPECTRUM, w, axis=WAVENUMBERS, style="background", top_k=0
    )
    band = _band(ax)
    np.testing.assert_allclose(band.get_array(), w)
    corners = np.array([p.vertices[:4] for p in band.get_paths()])
    # y in axes coordinates: from the bottom (0) to the top (1) of the plot.
    np.testing.assert_allclose(corners[:, :, 1], [[0, 1, 1, 0]] * N)
    assert band.get_transform() == ax.get_xaxis_transform()
    # Each rectangle runs between the midpoints around its point.
    np.testing.assert_allclose(corners[5, [0, 2], 0], [1004.5, 1005.5])
    assert band.get_zorder() < ax.lines[0].get_zorder()


# -------------------------------------------------------------- colour scale
def test_signed_importance_gets_a_zero_centred_diverging_scale(tmp_path):
    w = _hand_made_importance()
    w[80:90] = -0.6
    ax = plot_spectrum_importance(
        SPECTRUM, w, axis=WAVENUMBERS, importance_label="SHAP value (model output)"
    )
    band = _band(ax)
    assert isinstance(band.norm, TwoSlopeNorm)
    assert band.norm.vcenter == 0
    assert (band.norm.vmin, band.norm.vmax) == (-1.0, 1.0)  # symmetric
    assert band.cmap.name == "RdBu_r"
    colours = _facecolors(band)
    np.testing.assert_allclose(colours[0], band.cmap(0.5))  # zero: the middle
    red, blue = colours[12], colours[85]
    assert red[0] > red[2] + 0.2 and blue[2] > blue[0] + 0.2
    assert ax.figure.axes[1].get_ylabel() == "SHAP value (model output)"
    path = tmp_path / "signed.png"
    ax.figure.savefig(path, dpi=60)
    pixels = mpimg.imread(path)[:, :, :3]
    reds = (pixels[..., 0] > 0.5) & (pixels[..., 2] < 0.3)
    blues = (pixels[..., 2] > 0.5) & (pixels[..., 0] < 0.3)
    assert reds.sum() > 50 and blues.sum() > 50


def test_signed_can_be_forced_either_way_and_vmin_vmax_kept_centred():
    w = _hand_made_importance()
    forced = plot_spectrum_importance(SPECTRUM, w, signed=True, top_k=0)
    norm = _band(forced).norm
    assert isinstance(norm, TwoSlopeNorm) and (norm.vmin, norm.vmax) == (-1, 1)
    assert forced.figure.axes[1].get_ylabel() == "signed importance"
    shifted = w - 0.2
    plain = plot_spectrum_importance(SPECTRUM, shifted, signed=False, top_k=0)
    norm = _band(plain).norm
    assert type(norm) is Normalize
    assert (norm.vmin, norm.vmax) == (pytest.approx(-0.2), pytest.approx(0.8))
    asymmetric = plot_spectrum_importance(
        SPECTRUM, shifted, vmin=-1.0, vmax=3.0, top_k=0
    )
    norm = _band(asymmetric).norm
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0
    assert (norm.vmin, norm.vmax) == (-1.0, 3.0)


@pytest.mark.parametrize(
    ("scale", "label"),
    [(1.0, "relative importance (max = 1)"), (3.0, "importance")],
)
def test_default_colour_bar_label_says_what_the_scale_is(scale, label):
    ax = plot_spectrum_importance(SPECTRUM, scale * _hand_made_importance())
    assert ax.figure.axes[1].get_ylabel() == label


# ---------------------------------------------------------------- the x axis
def test_wavenumbers_are_drawn_decreasing_to_the_right():
    ax = plot_spectrum_importance(SPECTRUM, _hand_made_importance(), axis=WAVENUMBERS)
    assert ax.get_xlabel() == "wavenumber (cm⁻¹)"
    assert ax.get_xlim() == (1099.0, 1000.0)
    ax = plot_spectrum_importance(
        SPECTRUM, _hand_made_importance(), axis=WAVENUMBERS, invert_x=False
    )
    assert ax.get_xlim() == (1000.0, 1099.0)


def test_other_axes_increase_unless_asked():
    energy = SpectralAxis(np.linspace(50, 650, N), "energy", "keV")
    ax = plot_spectrum_importance(SPECTRUM, _hand_made_importance(), axis=energy)
    assert ax.get_xlabel() == "energy (keV)" and ax.get_xlim() == (50.0, 650.0)
    ax = plot_spectrum_importance(
        SPECTRUM, _hand_made_importance(), axis=energy, invert_x=True, xlabel="E"
    )
    assert ax.get_xlabel() == "E" and ax.get_xlim() == (650.0, 50.0)


# ------------------------------------------------------------- annotations
def test_top_regions_are_labelled_with_their_axis_values():
    w = _hand_made_importance()
    ax = plot_spectrum_importance(SPECTRUM, w, axis=WAVENUMBERS, top_k=4)
    # Strongest first; the two touching peaks at 1060-1069 are one region.
    assert _texts(ax) == [
        "1010–1014 cm⁻¹",
        "1050 cm⁻¹",
        "1080–1089 cm⁻¹",
        "1060–1069 cm⁻¹",
    ]
    # Each label points at the middle of its region.
    assert [t.xy[0] for t in ax.texts] == [1012.0, 1050.0, 1084.0, 1064.0]
    one = plot_spectrum_importance(SPECTRUM, w, axis=WAVENUMBERS, top_k=1)
    assert _texts(one) == ["1010–1014 cm⁻¹"]
    assert _texts(plot_spectrum_importance(SPECTRUM, w, top_k=0)) == []


def test_negative_regions_count_by_their_size_and_decimals_follow_the_step():
    w = np.zeros(N)
    w[40] = -2.0
    w[70:75] = 1.0
    energy = SpectralAxis(np.linspace(10.0, 19.9, N), "energy", "keV")  # step 0.1
    ax = plot_spectrum_importance(SPECTRUM, w, axis=energy, top_k=3)
    assert _texts(ax) == ["14.0 keV", "17.0–17.4 keV"]
    channels = plot_spectrum_importance(SPECTRUM, w, top_k=3)
    assert _texts(channels) == ["40", "70–74"]


def test_labels_of_close_peaks_do_not_overlap_and_stay_inside_the_axes():
    e = np.linspace(50, 650, 600)
    peaks = sum(
        a * np.exp(-(((e - c) / 8) ** 2)) for a, c in [(1, 300), (0.9, 320), (0.8, 340)]
    )
    fig, ax = plt.subplots(figsize=(6, 3))
    plot_spectrum_importance(peaks, peaks, axis=SpectralAxis(e, "energy", "keV"), ax=ax)
    assert len(ax.texts) == 3
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # The text boxes themselves (an annotation's extent includes its leader).
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    inside = ax.get_window_extent(renderer)
    for box in boxes:
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1


# ------------------------------------------------------------------ panels
def test_panels_share_one_colour_scale_and_one_colour_bar(tmp_path):
    w = _hand_made_importance()
    rows = np.stack([w, -0.5 * w, 2.0 * w - 0.5])
    fig = plot_importance_panels(
        SPECTRUM,
        rows,
        axis=WAVENUMBERS,
        titles=["a", "b", "c"],
        importance_label="SHAP value (model output)",
    )
    panels, bars = fig.axes[:3], fig.axes[3:]
    assert len(bars) == 1
    assert bars[0].get_ylabel() == "SHAP value (model output)"
    norms = [_band(ax).norm for ax in panels]
    assert norms[0] is norms[1] is norms[2]
    assert isinstance(norms[0], TwoSlopeNorm)
    assert (norms[0].vmin, norms[0].vmax) == (-1.5, 1.5)  # from all the rows
    for ax, row in zip(panels, rows, strict=True):
        np.testing.assert_allclose(_band(ax).get_array(), row)
        np.testing.assert_allclose(ax.lines[0].get_ydata(), SPECTRUM)
    # The same importance has the same colour in every panel.
    colour_c = _facecolors(_band(panels[2]))[12]  # 2 * 1 - 0.5 = 1.5: the top
    np.testing.assert_allclose(colour_c, _band(panels[0]).cmap(1.0))
    colour_a = _facecolors(_band(panels[0]))[12]  # 1.0 of 1.5
    np.testing.assert_allclose(colour_a, _band(panels[0]).cmap(norms[0](1.0)))
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    assert panels[0].get_shared_x_axes().joined(panels[0], panels[2])
    assert [ax.get_xlabel() for ax in panels] == ["", "", "wavenumber (cm⁻¹)"]
    assert all(ax.get_xlim() == (1099.0, 1000.0) for ax in panels)
    assert _texts(panels[0])[0] == "1010–1014 cm⁻¹"
    fig.savefig(tmp_path / "panels.png", dpi=50)


def test_panels_of_several_spectra_with_their_own_scales():
    w = _hand_made_importance()
    spectra = np.stack([SPECTRUM, 2 * SPECTRUM])
    fig = plot_importance_panels(spectra, np.stack([w, 3 * w]), shared_scale=False)
    assert len(fig.axes) == 4  # two panels, two colour bars
    vmax = [_band(ax).norm.vmax for ax in fig.axes[:2]]
    assert vmax == [1.0, 3.0]
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), 2 * SPECTRUM)
    assert fig.axes[1].get_xlabel() == "channel"


@pytest.mark.parametrize(
    ("spectra", "importances", "kwargs", "match"),
    [
        (SPECTRUM, np.ones((2, N - 1)), {}, "same number of points"),
        (np.ones((3, N)), np.ones((2, N)), {}, "one row per spectrum"),
        (SPECTRUM, np.ones((2, N)), {"titles": ["a"]}, "one entry per panel"),
        (SPECTRUM, np.full((2, N), np.nan), {}, "`importances` contains NaN"),
        (
            np.ones((2, 3, N)),
            np.ones(N),
            {},
            "`spectra` must be a 1D array or 2D array",
        ),
        (SPECTRUM, np.ones(N), {"axis": np.arange(3.0)}, "`axis` has 3 values"),
        (SPECTRUM, np.ones(N), {"style": "fill"}, "`style` must be one of"),
        ([1.0], [1.0], {}, "at least 2 points per row"),
        (None, np.ones(N), {}, "`spectra` must be an array of spectra; got None"),
    ],
)
def test_panels_bad_input(spectra, importances, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_importance_panels(spectra, importances, **kwargs)


def test_panels_never_change_their_inputs():
    w = _hand_made_importance()
    rows = np.stack([w, -w])
    copy = rows.copy()
    plot_importance_panels(SPECTRUM, rows)
    np.testing.assert_array_equal(rows, copy)

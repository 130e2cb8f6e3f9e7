"""BaselineCorrector: pybaselines' methods as a stateless transformer."""

import sys

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.axis import SpectralAxis
from specauth.preprocessing import BaselineCorrector, list_baseline_methods

pybaselines = pytest.importorskip("pybaselines")

X_AXIS = np.linspace(0.0, 100.0, 201)
PEAK = np.exp(-0.5 * ((X_AXIS - 50.0) / 2.0) ** 2)


# pybaselines' second-order Whittaker penalty needs more than 2 points.
_TWO_POINTS = {
    "check_fit_idempotent": "fitted on 2-column data, on which asls's "
    "second-difference penalty is empty and pybaselines raises"
}


@parametrize_with_checks(
    [BaselineCorrector(), BaselineCorrector("modpoly", params={"poly_order": 1})],
    expected_failed_checks=lambda est: _TWO_POINTS if est.method == "asls" else {},
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_removes_a_sloped_and_an_offset_baseline():
    X = np.stack([PEAK + 0.02 * X_AXIS - 1.0, 3 * PEAK + 5.0])
    out = BaselineCorrector("modpoly", params={"poly_order": 1}).fit_transform(X)
    np.testing.assert_allclose(out, np.stack([PEAK, 3 * PEAK]), atol=2e-3)


def test_equals_pybaselines_row_by_row_on_the_given_axis():
    rng = np.random.default_rng(0)
    X = PEAK + rng.normal(0, 0.01, (3, X_AXIS.size)) + np.sin(X_AXIS / 30.0)[None]
    corrector = BaselineCorrector("asls", params={"lam": 1e5, "p": 0.02}, axis=X_AXIS)
    out = corrector.fit(X).transform(X)
    fitter = pybaselines.Baseline(x_data=X_AXIS)
    for row, corrected in zip(X, out, strict=True):
        baseline = fitter.asls(row, lam=1e5, p=0.02)[0]
        np.testing.assert_allclose(corrected, row - baseline)
    np.testing.assert_allclose(corrector.baselines(X), X - out)


def test_a_decreasing_ir_axis_gives_the_reversed_result():
    X = np.stack([PEAK + 0.01 * X_AXIS**1.5 / 10.0])
    params = {"poly_order": 2}
    up = BaselineCorrector("modpoly", params=params, axis=X_AXIS).fit_transform(X)
    down_axis = SpectralAxis(4000.0 - 10.0 * X_AXIS, "wavenumber")  # 4000..3000
    down = BaselineCorrector("modpoly", params=params, axis=down_axis)
    np.testing.assert_allclose(down.fit_transform(X), up, atol=1e-9)


def test_records_the_axis_given_or_read_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([PEAK], columns=pd.Index(X_AXIS, name="Raman shift"))
    fitted = BaselineCorrector().fit(frame)
    assert fitted.axis_.quantity == "raman_shift"
    np.testing.assert_array_equal(fitted.axis_.values, X_AXIS)
    assert BaselineCorrector().fit([PEAK]).axis_ is None
    given = BaselineCorrector(axis=X_AXIS).fit([PEAK]).axis_
    assert isinstance(given, SpectralAxis) and len(given) == X_AXIS.size
    shifted = pd.DataFrame([PEAK], columns=pd.Index(X_AXIS + 7.0, name="Raman shift"))
    with pytest.raises(ValueError, match="X is on another axis"):
        fitted.transform(shifted)


def test_keeps_float32_and_never_modifies_its_input():
    X = np.stack([PEAK + 1.0, PEAK + 2.0]).astype(np.float32)
    before = X.copy()
    out = BaselineCorrector(params={"lam": 1e4}).fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(X, before)


def test_lists_pybaselines_methods_but_not_those_taking_other_methods():
    names = list_baseline_methods()
    assert {"asls", "iasls", "airpls", "arpls", "snip", "rolling_ball"} <= set(names)
    assert not {"collab_pls", "custom_bc", "optimize_extended_range"} & set(names)
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "aspl"}, ValueError, r"`method` must be .* asls, aspls.*'aspl'"),
        (
            {"params": {"lamda": 1.0}},
            ValueError,
            r"'lamda' is not a parameter .*lam, p",
        ),
        ({"params": [1e5]}, TypeError, "`params` parameter"),
        ({"axis": [1.0, 2.0]}, ValueError, "`axis` has 2 values but the spectra have"),
        ({"method": 3}, TypeError, "`method` parameter"),
    ],
)
def test_refuses_bad_parameters_naming_them(kwargs, error, message):
    with pytest.raises(error, match=message):
        BaselineCorrector(**kwargs).fit([PEAK])


def test_a_missing_pybaselines_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "pybaselines", None)
    with pytest.raises(ImportError, match="pip install pybaselines"):
        BaselineCorrector().fit([PEAK])

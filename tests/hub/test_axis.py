"""The hub saves spectral axes exactly and the model card states them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from specauth.axis import SpectralAxis
from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, make_model_card, save_pretrained
from specauth.preprocessing import Crop, SpectrumNormalizer

# IR-like: decreasing wavenumbers with steps that are not round numbers.
WAVENUMBERS = SpectralAxis(np.linspace(4000.0, 400.0, 64) + 1e-9, "wavenumber", "cm-1")


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=8, length=64, random_state=3)
    return d.X, d.y


def _same_axis(found, expected):
    assert isinstance(found, SpectralAxis)
    assert (found.quantity, found.unit) == (expected.quantity, expected.unit)
    np.testing.assert_array_equal(found.values, expected.values)


def test_fitted_axis_of_a_transformer_round_trips_exactly(data, tmp_path):
    X, _ = data
    norm = SpectrumNormalizer().fit(X)
    norm.axis_ = WAVENUMBERS
    loaded = load_pretrained(save_pretrained(norm, tmp_path / "m"))
    _same_axis(loaded.axis_, WAVENUMBERS)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    saved = config["root"]["state"]["axis_"]
    assert saved == {"__axis__": WAVENUMBERS.to_dict()}  # JSON, readable as is


def test_axis_and_axis_out_of_a_cnn_pipeline_round_trip(data, tmp_path):
    X, y = data
    crop = Crop(2, 62).fit(X)
    crop.axis_ = WAVENUMBERS
    crop.axis_out_ = WAVENUMBERS.subset(slice(2, 62))
    clf = CNNClassifier("cnn1d_small", epochs=1, random_state=0)
    clf.fit(crop.transform(X), y)
    clf.axis_ = crop.axis_out_
    loaded = load_pretrained(
        save_pretrained(Pipeline([("crop", crop), ("clf", clf)]), tmp_path / "p")
    )
    _same_axis(loaded[0].axis_, WAVENUMBERS)
    _same_axis(loaded[0].axis_out_, crop.axis_out_)
    _same_axis(loaded[1].axis_, crop.axis_out_)
    np.testing.assert_array_equal(
        loaded.predict_proba(X), clf.predict_proba(crop.transform(X))
    )


def test_an_axis_parameter_and_a_missing_axis_round_trip(tmp_path):
    pytest.importorskip("pybaselines")
    from specauth.preprocessing import BaselineCorrector

    axis = SpectralAxis([10.0, 20.5, 31.25], "2theta")
    corrector = BaselineCorrector("modpoly", params={"poly_order": 1}, axis=axis)
    loaded = load_pretrained(
        save_pretrained(corrector.fit([[1.0, 2.0, 4.0]]), tmp_path / "b")
    )
    _same_axis(loaded.axis, axis)
    _same_axis(loaded.axis_, axis)
    plain = BaselineCorrector().fit([[1.0, 2.0, 4.0, 3.0]])
    assert load_pretrained(save_pretrained(plain, tmp_path / "n")).axis_ is None


@pytest.mark.parametrize(
    "bad",
    [
        {"values": [1.0, 3.0, 2.0]},  # not monotonic
        {"values": [1.0, "x"]},
        {"quantity": "energy"},  # no values
        [1.0, 2.0],
    ],
)
def test_a_tampered_axis_is_refused(data, tmp_path, bad):
    X, _ = data
    norm = SpectrumNormalizer().fit(X)
    norm.axis_ = WAVENUMBERS
    folder = save_pretrained(norm, tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["root"]["state"]["axis_"] = {"__axis__": bad}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="Malformed config: .*axis"):
        load_pretrained(folder)


def test_the_card_states_the_input_and_the_final_axis(data, tmp_path):
    X, _ = data
    crop = Crop(2, 62).fit(X)
    crop.axis_ = WAVENUMBERS
    crop.axis_out_ = WAVENUMBERS.subset(slice(2, 62))
    pipe = Pipeline([("crop", crop), ("norm", SpectrumNormalizer().fit(X[:, 2:62]))])
    card = make_model_card(pipe)
    first, last = WAVENUMBERS.values[0], WAVENUMBERS.values[-1]
    assert (
        f"- **Input axis:** wavenumber (cm⁻¹) from {first:g} to {last:g}, 64 points "
        "(values decreasing from the first column to the last; plotted decreasing "
        "to the right)." in card
    )
    cut = crop.axis_out_.values
    assert (
        "- **Axis after preprocessing (seen by the last step):** wavenumber (cm⁻¹) "
        "from "
        f"{cut[0]:g} to {cut[-1]:g}, 60 points" in card
    )
    assert "on the input axis stated above" in card
    config = json.loads(
        (save_pretrained(pipe, tmp_path / "c") / "config.json").read_text()
    )
    assert config["data"]["axis"]["input"]["n_points"] == 64
    assert config["data"]["axis"]["final"]["first"] == float(cut[0])


def test_the_card_says_nothing_of_an_axis_it_does_not_know(data):
    X, _ = data
    card = make_model_card(SpectrumNormalizer().fit(X))
    assert "axis" not in card.lower().replace("axis=", "")
    norm = SpectrumNormalizer().fit(X)
    norm.axis_ = SpectralAxis.from_label(np.arange(64) * 0.5 + 30.0, "Energy (keV)")
    card = make_model_card(norm)
    assert (
        "- **Input axis:** energy (keV) from 30 to 61.5, 64 points (values increasing"
        in card
    )
    assert "after preprocessing" not in card  # the same axis all along


def test_the_axis_of_a_chemotools_step_round_trips(data, tmp_path):
    scatter = pytest.importorskip("chemotools.scatter")
    X, _ = data
    snv = scatter.StandardNormalVariate().fit(X)
    snv.axis_ = WAVENUMBERS
    folder = save_pretrained(snv, tmp_path / "m")
    _same_axis(load_pretrained(folder).axis_, WAVENUMBERS)
    config = json.loads((folder / "config.json").read_text())
    short = SpectralAxis([1.0, 2.0], "wavenumber").to_dict()
    config["root"]["state"]["axis_"] = {"__axis__": short}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="`axis_` of .* has 2 points"):
        load_pretrained(folder)


def test_a_resampler_fitted_on_a_dataframe_round_trips(data, tmp_path):
    pd = pytest.importorskip("pandas")
    from specauth.preprocessing import AxisResampler

    X, _ = data
    columns = pd.Index(WAVENUMBERS.values, name="wavenumber (cm-1)")
    resampler = AxisResampler().fit(pd.DataFrame(X, columns=columns))
    loaded = load_pretrained(save_pretrained(resampler, tmp_path / "r"))
    _same_axis(loaded.axis_, resampler.axis_)
    other = pd.DataFrame(X[:, ::2], columns=columns[::2])  # a coarser grid
    np.testing.assert_array_equal(loaded.transform(other), resampler.transform(other))

"""make_model_card and the README.md written by save_pretrained."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import save_pretrained
from specauth.hub.model_card import make_model_card
from specauth.ood import KNNDetector
from specauth.openset import OpenSetClassifier
from specauth.preprocessing import Crop, SpectrumNormalizer

METRICS = {"accuracy": 0.98, "auroc": 0.99, "TEFF": 0.875}


@pytest.fixture(scope="module")
def osc():
    # The classifier and data of test_pretrained's open-set round trips: when
    # both files run in one process, the classifier cache trains it once.
    d = make_spectra(n_classes=3, n_samples_per_class=10, length=64, random_state=2)
    model = OpenSetClassifier(
        CNNClassifier("cnn1d_small", epochs=1, random_state=0),
        KNNDetector(alpha=0.1),
        unknown_label="unknown",
    )
    return model.fit(d.X, d.y)


def _front_matter(card):
    """Parse the front matter by hand: one ``key: <JSON>`` per line."""
    lines = card.splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    fields = {}
    for line in lines[1:end]:
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    return fields, "\n".join(lines[end + 1 :])


def test_front_matter_has_library_tags_and_metrics(osc):
    card = make_model_card(osc, metrics=METRICS, dataset="pgaa")
    fields, _ = _front_matter(card)
    assert fields["library_name"] == "keras"
    assert {"specauth", "spectroscopy", "open-set-recognition", "keras"} <= set(
        fields["tags"]
    )
    assert fields["datasets"] == ["pgaa"]
    assert fields["metrics"] == ["accuracy", "roc_auc", "teff"]
    (entry,) = fields["model-index"]
    (result,) = entry["results"]
    assert result["dataset"] == {"name": "pgaa", "type": "pgaa"}
    values = {m["name"]: (m["type"], m["value"]) for m in result["metrics"]}
    assert values == {
        "Closed-set accuracy": ("accuracy", 0.98),
        "OOD AUROC": ("roc_auc", 0.99),
        "TEFF": ("teff", 0.875),
    }


def test_front_matter_is_valid_yaml_when_a_parser_is_installed(osc):
    yaml = pytest.importorskip("yaml")
    card = make_model_card(osc, metrics=METRICS, dataset="pgaa")
    fields, _ = _front_matter(card)
    assert yaml.safe_load(card.split("---")[1]) == fields


def test_hugging_face_reads_the_metrics_when_installed(osc):
    hub = pytest.importorskip("huggingface_hub")
    card = hub.ModelCard(make_model_card(osc, metrics=METRICS, dataset="pgaa"))
    assert card.data.library_name == "keras"
    found = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert found == {"accuracy": 0.98, "roc_auc": 0.99, "teff": 0.875}


def test_body_describes_the_model_and_its_use(osc):
    card = make_model_card(osc, metrics=METRICS, versions={"keras": "9.9.9"})
    _, body = _front_matter(card)
    for label in osc.classes_:
        assert f"`{label}`" in body
    net = osc.classifier_.network_
    assert f"{len(net.layers)} layers, {net.count_params():,} parameters" in body
    assert "KNNDetector on the network's features, `alpha=0.1`" in body
    assert "**Network input shape:** (64, 1)" in body
    assert "load_pretrained" in body and "keras.saving.load_model" in body
    # The default 1D networks are built-in layers only.
    assert "Keras alone loads it" in body
    assert "import specauth.models.layers" not in body
    for section in ("Intended use", "Limitations", "Library versions"):
        assert f"## {section}" in body
    assert "calibrated on training" in body and "unknown classes" in body
    assert "- keras: 9.9.9" in body
    assert "| OOD AUROC | 0.99 |" in body


def test_save_pretrained_writes_the_card(osc, tmp_path):
    folder = save_pretrained(osc, tmp_path / "m", metrics={"accuracy": 0.5})
    card = (folder / "README.md").read_text(encoding="utf-8")
    fields, _ = _front_matter(card)
    assert fields["model-index"][0]["results"][0]["metrics"][0]["value"] == 0.5
    config = json.loads((folder / "config.json").read_text())
    assert config["metrics"] == {"accuracy": 0.5}
    assert config["data"]["classes"] == osc.classes_.tolist()


def test_transformer_card_without_metrics():
    X = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(Crop(0, 2), SpectrumNormalizer()).fit(X)
    card = make_model_card(pipe)
    fields, body = _front_matter(card)
    assert "model-index" not in fields and "metrics" not in fields
    assert "open-set-recognition" not in fields["tags"]
    assert "No evaluation metrics were recorded" in body
    assert "**Preprocessing:** Crop -> SpectrumNormalizer" in body
    assert "Points per input spectrum:** 3" in body


def test_bad_arguments_are_clear_errors():
    from sklearn.exceptions import NotFittedError

    fitted = SpectrumNormalizer().fit([[1.0, 2.0]])
    with pytest.raises(TypeError, match="`metrics` must be a dict"):
        make_model_card(fitted, metrics=0.9)
    with pytest.raises(TypeError, match=r"`metrics\['auroc'\]` must be a number"):
        make_model_card(fitted, metrics={"auroc": "high"})
    with pytest.raises(ValueError, match=r"`metrics\['auroc'\]` must be finite"):
        make_model_card(fitted, metrics={"auroc": float("nan")})
    with pytest.raises(TypeError, match="`metrics` keys must be non-empty"):
        make_model_card(fitted, metrics={1: 0.5})
    with pytest.raises(TypeError, match="`dataset` must be a str"):
        make_model_card(fitted, dataset=3)
    with pytest.raises(NotFittedError):
        make_model_card(CNNClassifier())


def _builder_with_a_custom_layer(input_shape, n_classes, seed=None):
    import keras

    from specauth.models.layers import PositionChannel

    inputs = keras.Input(input_shape)
    x = keras.layers.GlobalAveragePooling1D()(PositionChannel()(inputs))
    return keras.Model(inputs, keras.layers.Dense(n_classes, name="logits")(x))


def test_card_says_when_the_network_needs_specauth():
    d = make_spectra(n_classes=2, n_samples_per_class=4, length=64, random_state=0)
    clf = CNNClassifier(_builder_with_a_custom_layer, epochs=1, random_state=0)
    _, body = _front_matter(make_model_card(clf.fit(d.X, d.y)))
    assert "custom layers (`PositionChannel`)" in body
    assert "import specauth.models.layers  # noqa: F401" in body
    assert "Keras alone loads it" not in body

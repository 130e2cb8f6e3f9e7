"""The model card (``README.md``) written beside a saved model.

:func:`make_model_card` describes a fitted estimator for people who find it on
disk or on the Hugging Face Hub: YAML front matter that the Hub reads
(``library_name: keras``, tags, the data set and a ``model-index`` with the
closed-set accuracy and the OOD AUROC when they are known), then Markdown
sections: what the model is (with the spectral axis it expects, when it is
known: :func:`specauth.axis.estimator_axis`), how to load it, intended use,
limitations and the library versions it was saved with.

The front matter writes every value as JSON, which is valid YAML, so it parses
with any YAML reader and needs no YAML library to write.
"""

from __future__ import annotations

import json
import math
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sklearn.base import BaseEstimator

__all__ = ["make_model_card"]

_BASE_TAGS = ("specauth", "spectroscopy", "keras")
# Known metric names: (model-index type, readable name).
_METRIC_NAMES = {
    "accuracy": ("accuracy", "Closed-set accuracy"),
    "acc": ("accuracy", "Closed-set accuracy"),
    "auroc": ("roc_auc", "OOD AUROC"),
    "roc_auc": ("roc_auc", "OOD AUROC"),
}


def _check_metrics(metrics):
    """Return ``metrics`` as a new ``{str: float}`` dict, or raise."""
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(
            "`metrics` must be a dict of metric names to numbers, e.g. "
            f'{{"accuracy": 0.98, "auroc": 0.99}}; got {type(metrics).__name__}.'
        )
    out = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"`metrics` keys must be non-empty strings; got {name!r}.")
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(
                f"`metrics[{name!r}]` must be a number; got {type(value).__name__}."
            )
        if not math.isfinite(float(value)):
            raise ValueError(f"`metrics[{name!r}]` must be finite; got {value!r}.")
        out[name] = float(value)
    return out


def _jsonable(value):
    """Plain JSON form of labels and simple parameters (``repr`` otherwise)."""
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _network_summary(estimator):
    network = estimator.network_
    return {
        "model": _jsonable(estimator.model),
        "name": network.name,
        "layers": len(network.layers),
        "parameters": int(network.count_params()),
        "custom_layers": sorted(_custom_layers(network)),
    }


def _custom_layers(model):
    """Names of the non-Keras layer classes in ``model``, nested models too."""
    names = set()
    for layer in model.layers:
        if not type(layer).__module__.startswith("keras"):
            names.add(type(layer).__name__)
        if hasattr(layer, "layers"):
            names |= _custom_layers(layer)
    return names


def _detector_summary(detector):
    return {
        "class": type(detector).__name__,
        "input_kind": detector.input_kind,
        "alpha": float(detector.alpha),
        "threshold": float(detector.threshold_),
    }


def _axis_fields(axis):
    """JSON-able description of a :class:`~specauth.axis.SpectralAxis`."""
    values = axis.values
    return {
        "label": axis.label,
        "quantity": axis.quantity,
        "unit": axis.unit,
        "first": float(values[0]),
        "last": float(values[-1]),
        "n_points": len(axis),
        "direction": "increasing" if axis.increasing else "decreasing",
        "drawn_decreasing": axis.decreasing_display,
    }


def _axis_summary(estimator):
    """The input axis of a fitted model and, when it differs, its final one."""
    from specauth.axis import estimator_axis

    found = estimator_axis(estimator)
    if found is None:
        return None
    out = {"input": _axis_fields(found)}
    final = estimator_axis(estimator, where="final")
    if final is not None and not final.same_as(found, tolerance=0.0):
        out["final"] = _axis_fields(final)
    return out


def _describe(estimator):
    """Return a JSON-able summary of a fitted estimator (used by the card)."""
    summary = _describe_model(estimator)
    axis = _axis_summary(estimator)
    if axis is not None:
        summary["axis"] = axis
    return summary


def _describe_model(estimator):
    from sklearn.pipeline import Pipeline

    summary = {"estimator": type(estimator).__name__, "preprocessing": []}
    if isinstance(estimator, Pipeline):
        final = _describe_model(estimator.steps[-1][1])
        # A pipeline of transformers only is all preprocessing.
        steps = estimator.steps
        if final["task"] != "transformation":
            steps = steps[:-1]
        final["preprocessing"] = [
            {"name": name, "class": type(step).__name__} for name, step in steps
        ]
        final["estimator"] = "Pipeline"
        first = estimator.steps[0][1]
        if hasattr(first, "n_features_in_"):
            final["n_features_in"] = int(first.n_features_in_)
        return final
    _describe_parts(estimator, summary)
    if hasattr(estimator, "n_features_in_"):
        summary["n_features_in"] = int(estimator.n_features_in_)
    return summary


def _describe_parts(estimator, summary):
    """Fill the task, classes, network and detector of ``summary``."""
    if hasattr(estimator, "detector_") and hasattr(estimator, "classifier_"):
        summary["task"] = "open-set classification"
        summary["unknown_label"] = _jsonable(estimator.unknown_label)
        summary["detector"] = _detector_summary(estimator.detector_)
        estimator = estimator.classifier_
    elif hasattr(estimator, "input_kind") and hasattr(estimator, "threshold_"):
        summary["task"] = "out-of-distribution detection"
        summary["detector"] = _detector_summary(estimator)
        estimator = getattr(estimator, "model", None)
    elif hasattr(estimator, "network_"):
        summary["task"] = (
            "classification" if hasattr(estimator, "classes_") else ("regression")
        )
    else:
        summary["task"] = "transformation"
    if estimator is None:
        return
    if hasattr(estimator, "classes_"):
        summary["classes"] = _jsonable(estimator.classes_)
    if hasattr(estimator, "input_shape_"):
        summary["input_shape"] = list(estimator.input_shape_)
    if hasattr(estimator, "network_"):
        summary["network"] = _network_summary(estimator)


def _tags(summary):
    tags = list(_BASE_TAGS)
    if summary.get("task") in ("classification", "open-set classification"):
        tags.append("classification")
    if "detector" in summary:
        tags += ["open-set-recognition", "out-of-distribution-detection"]
    return tags


def _model_index(name, metrics, dataset):
    results = []
    for key, value in metrics.items():
        kind, label = _METRIC_NAMES.get(key.lower(), (key.lower(), key))
        results.append({"type": kind, "value": value, "name": label})
    data = {"name": dataset or "unspecified", "type": dataset or "unspecified"}
    task = {"type": "open-set-recognition", "name": "Open-set spectrum classification"}
    return [
        {"name": name, "results": [{"task": task, "dataset": data, "metrics": results}]}
    ]


def _front_matter(summary, metrics, dataset, name):
    fields = {"library_name": "keras", "tags": _tags(summary)}
    if dataset:
        fields["datasets"] = [dataset]
    if metrics:
        fields["metrics"] = sorted(
            {_METRIC_NAMES.get(k.lower(), (k.lower(),))[0] for k in metrics}
        )
        fields["model-index"] = _model_index(name, metrics, dataset)
    lines = [f"{key}: {json.dumps(value)}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _description(summary):
    lines = [f"- **Task:** {summary['task']} ({summary['estimator']})."]
    if summary.get("classes") is not None:
        classes = ", ".join(f"`{c}`" for c in summary["classes"])
        lines.append(f"- **Classes ({len(summary['classes'])}):** {classes}.")
    if "unknown_label" in summary:
        lines.append(
            f"- **Unknown answer:** `{summary['unknown_label']}` for spectra the "
            "detector rejects."
        )
    if summary.get("input_shape") is not None:
        lines.append(f"- **Network input shape:** {tuple(summary['input_shape'])}.")
    if summary.get("n_features_in") is not None:
        lines.append(f"- **Points per input spectrum:** {summary['n_features_in']}.")
    axis = summary.get("axis")
    if axis:
        lines.append(f"- **Input axis:** {_axis_text(axis['input'])}.")
    if axis and "final" in axis:
        lines.append(
            "- **Axis after preprocessing (seen by the last step):** "
            f"{_axis_text(axis['final'])}."
        )
    if summary["preprocessing"]:
        steps = " -> ".join(s["class"] for s in summary["preprocessing"])
        lines.append(f"- **Preprocessing:** {steps}.")
    net = summary.get("network")
    if net:
        lines.append(
            f"- **Network:** `{net['model']}` ({net['layers']} layers, "
            f"{net['parameters']:,} parameters), saved as `network.keras`."
        )
    det = summary.get("detector")
    if det:
        lines.append(
            f"- **Detector:** {det['class']} on the network's {det['input_kind']}, "
            f"`alpha={det['alpha']}` (threshold {det['threshold']:.6g})."
        )
    return "\n".join(lines)


def _axis_text(fields):
    """``"wavenumber (cm⁻¹) from 4000 to 400, 1801 points (decreasing ...)"``."""
    text = (
        f"{fields['label']} from {fields['first']:g} to {fields['last']:g}, "
        f"{fields['n_points']} points (values {fields['direction']} from the "
        "first column to the last"
    )
    if fields["drawn_decreasing"]:
        text += "; plotted decreasing to the right"
    return text + ")"


def _metrics_table(metrics):
    if not metrics:
        return "No evaluation metrics were recorded when this model was saved."
    rows = ["| Metric | Value |", "| --- | --- |"]
    for key, value in metrics.items():
        label = _METRIC_NAMES.get(key.lower(), (key, key))[1]
        rows.append(f"| {label} | {value:.4g} |")
    return "\n".join(rows)


_HOW_TO_LOAD = """\
With specauth (the whole model: preprocessing, network and detector):

```python
from specauth.hub import load_pretrained

model = load_pretrained("path/to/this/folder")
model.predict(spectra)
```

The network alone is a Keras 3 file (it gives logits; the preprocessing and
the detector are not in it). {network_note}

```python
import keras{import_line}

network = keras.saving.load_model("path/to/this/folder/network.keras")
logits = network.predict(spectra[..., None])
```"""


def _how_to_load(summary):
    custom = summary.get("network", {}).get("custom_layers", [])
    if not custom:
        note = "It is made of built-in Keras layers: Keras alone loads it."
        return _HOW_TO_LOAD.format(network_note=note, import_line="")
    note = (
        "It uses specauth's custom layers ("
        + ", ".join(f"`{name}`" for name in custom)
        + "): import `specauth.models.layers` first, which registers them "
        "with Keras."
    )
    line = "\nimport specauth.models.layers  # noqa: F401"
    return _HOW_TO_LOAD.format(network_note=note, import_line=line)


def _limitations(summary):
    lines = [
        "- Trained on the classes listed above only; any other material is "
        "outside what it knows.",
        "- Inputs must be preprocessed like the training data (the saved "
        "pipeline does this) and have the same number of points"
        + (", on the input axis stated above." if "axis" in summary else "."),
    ]
    if "detector" in summary:
        lines += [
            "- The open-set threshold was set so that a fraction `alpha` of the "
            "training data is rejected; it was calibrated on training (or "
            "held-out known-class) data, not on real unknown samples, so the "
            "rejection rate of new known-class spectra may differ.",
            "- Rejection of unknown classes was checked only against the unknown "
            "classes that were tested, if any; classes close to a known one may "
            "be accepted as that class.",
        ]
    return "\n".join(lines)


def make_model_card(
    estimator: BaseEstimator,
    *,
    metrics: Mapping[str, float] | None = None,
    dataset: str | None = None,
    versions: Mapping[str, str] | None = None,
) -> str:
    """Return the Markdown model card of a fitted estimator.

    Parameters
    ----------
    estimator : estimator or sklearn.pipeline.Pipeline
        A fitted specauth estimator, detector, ``OpenSetClassifier`` or
        ``Pipeline``.
    metrics : dict of str to float, default=None
        Evaluation results to publish, e.g. ``{"accuracy": 0.98, "auroc":
        0.99}``. ``"accuracy"`` is reported as the closed-set accuracy and
        ``"auroc"`` as the OOD AUROC; other names are reported as given.
    dataset : str, default=None
        Name of the data set the model was trained on.
    versions : dict of str to str, default=None
        Library versions to list (``save_pretrained`` passes those it saved).

    Returns
    -------
    card : str
        YAML front matter between ``---`` lines, then Markdown.

    Examples
    --------
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> card = make_model_card(SpectrumNormalizer().fit([[1.0, 3.0]]),
    ...                        metrics={"accuracy": 0.9})
    >>> print(card.splitlines()[1])
    library_name: "keras"
    >>> "Closed-set accuracy | 0.9" in card
    True
    """
    from sklearn.utils.validation import check_is_fitted

    metrics = _check_metrics(metrics)
    if dataset is not None and not isinstance(dataset, str):
        raise TypeError(f"`dataset` must be a str or None; got {dataset!r}.")
    check_is_fitted(estimator)
    summary = _describe(estimator)
    title = f"specauth {summary['estimator']}"
    versions = versions or {}
    version_lines = "\n".join(f"- {k}: {v}" for k, v in versions.items() if v)
    sections = [
        _front_matter(summary, metrics, dataset, title),
        f"# {title}\n",
        "A spectrum model saved with [specauth](https://pypi.org/project/specauth)"
        + (f", trained on {dataset}." if dataset else "."),
        "\n## Model description\n",
        _description(summary),
        "\n## Evaluation\n",
        _metrics_table(metrics),
        "\n## How to load\n",
        _how_to_load(summary),
        "\n## Intended use\n",
        "Identifying the material (class) of a spectrum measured like the "
        "training spectra, with an explicit unknown answer when an open-set "
        "detector is included. Confirm critical identifications independently.",
        "\n## Limitations\n",
        _limitations(summary),
        "\n## Library versions\n",
        version_lines or "Not recorded.",
    ]
    return "\n".join(sections) + "\n"

"""The unfrozen phase of fine-tuning, shared by :func:`fine_tune` and the estimators.

After a head has trained on a frozen pretrained base, the base is unfrozen and
trained on with discriminative learning rates. :func:`fit_unfrozen` is that
phase for both :func:`specauth.training.fine_tune` and
``CNNClassifier(fine_tune_epochs=...)``; :data:`UNFROZEN_DEFAULTS` and
:data:`UNFROZEN_CONSTRAINTS` are its options (the estimator's
``fine_tune__...``), declared once. This module does not import Keras.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from specauth._validation import Interval, Options

__all__ = [
    "MAX_UNFROZEN_PEAK",
    "UNFROZEN_CONSTRAINTS",
    "UNFROZEN_DEFAULTS",
    "check_unfreezable",
    "fit_unfrozen",
    "unfrozen_peak",
]

#: Largest default peak learning rate of the unfrozen phase (fastai's
#: ``fine_tune`` peaks at 1e-3 with its default ``base_lr``): a rate tuned for
#: training a head on a frozen base (say 1e-2) wrecks pretrained features.
MAX_UNFROZEN_PEAK = 1e-3

#: Defaults of the unfrozen phase: the ``fine_tune__...`` options of
#: :class:`~specauth.estimators.CNNClassifier` and the matching arguments of
#: :func:`fine_tune`.
UNFROZEN_DEFAULTS: dict[str, Any] = {
    "unfreeze": "all",
    "lr_mult": 100.0,
    "learning_rate": None,
    "pct_start": 0.3,
}

#: What each option of :data:`UNFROZEN_DEFAULTS` accepts.
UNFROZEN_CONSTRAINTS: dict[str, list[Interval | Options | None]] = {
    "unfreeze": [Options(str, {"all"}), Interval(Integral, 1, None, closed="left")],
    "lr_mult": [Interval(Real, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither", finite=True), None],
    "pct_start": [Interval(Real, 0, 1, closed="left")],
}


def unfrozen_peak(learning_rate: float, peak: float | None = None) -> float:
    """Peak rate of the unfrozen phase after a head trained at ``learning_rate``.

    ``peak`` when given, else ``min(learning_rate / 2, 1e-3)``: half the head's
    rate, as fastai does, but never above 1e-3.

    Examples
    --------
    >>> unfrozen_peak(2e-3), unfrozen_peak(1e-2), unfrozen_peak(1e-2, 5e-4)
    (0.001, 0.001, 0.0005)
    """
    if peak is not None:
        return float(peak)
    return min(learning_rate / 2, MAX_UNFROZEN_PEAK)


def check_unfreezable(
    network: Any,
    unfreeze: str | int,
    *,
    what: str,
    name: str = "unfreeze",
    base_layer: str = "base",
) -> int:
    """Fail before any training when ``network`` cannot be unfrozen as asked.

    ``what`` names the caller in the message when the network has no
    pretrained base; ``name`` is the argument holding ``unfreeze``. Returns
    the number of weighted layers of the base.
    """
    from specauth.training.fine_tuning import base_weighted_layers

    try:
        count = len(base_weighted_layers(network, base_layer=base_layer))
    except ValueError as err:
        raise ValueError(f"{what} needs a network on a pretrained base: {err}") from err
    if not isinstance(unfreeze, str) and unfreeze > count:
        raise ValueError(
            f"`{name}` must be 'all' or at most {count} (the weighted layers of "
            f"the base); got {unfreeze}."
        )
    return count


def fit_unfrozen(
    network: Any,
    x: Any,
    y: Any,
    *,
    epochs: int,
    head_learning_rate: float,
    unfreeze: str | int = "all",
    lr_mult: float = 100.0,
    learning_rate: float | None = None,
    pct_start: float = 0.3,
    base_layer: str = "base",
    **training: Any,
) -> dict[str, list[float]]:
    """Unfreeze the base and train with discriminative rates: the second phase.

    :func:`unfreeze_base` (all weighted layers or the top ``unfreeze``), then
    ``epochs`` epochs of one-cycle training peaking at
    :func:`unfrozen_peak` for the head, with rates falling geometrically by
    ``lr_mult`` down to the earliest unfrozen layer
    (:func:`~specauth.training.discriminative.layer_rate_factors`).
    ``training`` goes to :func:`~specauth.training.loop.fit_network`.

    Returns the history of :func:`~specauth.training.loop.fit_network`.

    Examples
    --------
    A tiny stand-in for a ``CNNFactory`` network: a nested model named
    ``"base"`` under a head.

    >>> import keras, numpy as np
    >>> base = keras.Sequential([keras.Input((8, 8, 3)),
    ...                          keras.layers.Conv2D(4, 3, name="low"),
    ...                          keras.layers.Conv2D(4, 3, name="top")], name="base")
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(x))
    >>> x_train, y_train = np.zeros((4, 8, 8, 3)), np.array([0, 1, 0, 1])
    >>> history = fit_unfrozen(model, x_train, y_train, epochs=1,
    ...                        head_learning_rate=1e-2, batch_size=2)
    >>> max(history["lr_per_batch"]) <= unfrozen_peak(1e-2)
    True
    """
    from specauth.training.discriminative import layer_rate_factors
    from specauth.training.fine_tuning import unfreeze_base
    from specauth.training.loop import fit_network

    layers = unfreeze_base(network, unfreeze, base_layer=base_layer)
    return fit_network(
        network,
        x,
        y,
        epochs=epochs,
        learning_rate=unfrozen_peak(head_learning_rate, learning_rate),
        schedule="one_cycle",
        schedule_options={"pct_start": pct_start},
        rate_factors=layer_rate_factors(layers, lr_mult),
        **training,
    )

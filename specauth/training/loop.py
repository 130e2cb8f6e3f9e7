"""The training loop shared by the estimators and :func:`fine_tune`.

:func:`fit_network` compiles a Keras network with a fresh optimizer under a
learning-rate schedule that steps every batch, trains it, and returns its
history with the learning rate of every step. :class:`CNNClassifier`'s
``fit``, both phases of :func:`~specauth.training.fine_tune` and the
estimator's ``fine_tune_epochs`` all train through it, so that a schedule, an
optimizer option or a callback means the same thing everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

from specauth._validation import Interval, check_scalar

__all__ = ["compile_network", "fit_network", "split_validation"]

#: ``Model.fit`` arguments that :func:`fit_network` sets itself.
RESERVED_FIT_OPTIONS = ("x", "y", "epochs", "batch_size", "validation_data", "verbose")


def compile_network(
    network: Any,
    learning_rate: Any,
    *,
    optimizer: Any = "adam",
    optimizer_options: Mapping[str, Any] | None = None,
    loss: Any = None,
    metrics: Sequence[Any] = ("accuracy",),
    rate_factors: dict[str, float] | None = None,
) -> Any:
    """Compile ``network`` with a fresh optimizer at ``learning_rate``.

    Parameters
    ----------
    network : keras.Model
        The network to compile (in place).
    learning_rate : float or keras LearningRateSchedule
        The optimizer's learning rate.
    optimizer : str, optimizer class or instance, default="adam"
        See :func:`specauth.training.optimizers.make_optimizer`; an instance
        is copied, never trained in place.
    optimizer_options : dict or None, default=None
        Extra constructor arguments of the optimizer.
    loss : keras loss or None, default=None
        ``None``: sparse categorical cross-entropy on logits.
    metrics : sequence, default=("accuracy",)
    rate_factors : dict or None, default=None
        Per-variable learning-rate multipliers
        (:func:`~specauth.training.discriminative.discriminative_optimizer`).

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        The optimizer the network was compiled with.

    Examples
    --------
    >>> import keras
    >>> network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> type(compile_network(network, 1e-3, optimizer="sgd")).__name__
    'SGD'
    """
    from specauth._lazy import import_keras
    from specauth.training.optimizers import make_optimizer

    keras = import_keras()
    opt = make_optimizer(optimizer, learning_rate, dict(optimizer_options or {}))
    if rate_factors is not None:
        from specauth.training.discriminative import discriminative_optimizer

        opt = discriminative_optimizer(opt, rate_factors)
    if loss is None:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    network.compile(optimizer=opt, loss=loss, metrics=_metric_objects(metrics, loss))
    return opt


#: The accuracy metric that goes with each classification loss, as Keras
#: itself would choose it for ``"accuracy"`` from the shapes of the targets.
_ACCURACY_FOR_LOSS = {
    "SparseCategoricalCrossentropy": "SparseCategoricalAccuracy",
    "CategoricalCrossentropy": "CategoricalAccuracy",
    "BinaryCrossentropy": "BinaryAccuracy",
}


def _metric_objects(metrics, loss):
    """``metrics`` with ``"accuracy"`` made the metric object the loss implies.

    Keras turns a metric named by a string into an object (and creates its
    variables) inside the first trace of TensorFlow's training step, which
    makes TensorFlow trace the whole step a second time; an object made here
    has its variables already. Other entries are passed on unchanged.
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    accuracy = _ACCURACY_FOR_LOSS.get(type(loss).__name__)
    objects = []
    for metric in metrics:
        if accuracy is not None and metric in ("accuracy", "acc"):
            metric = getattr(keras.metrics, accuracy)(name=metric)
        objects.append(metric)
    return objects


def _build_optimizer(network):
    """Create the optimizer's slot variables before training starts.

    TensorFlow's trainer otherwise creates them inside the first trace of the
    training step and then traces the step again: for the small networks of
    small data sets, the second trace costs about as long as the training.
    A network whose variables do not exist yet is left to Keras.
    """
    optimizer = network.optimizer
    if getattr(network, "built", False) and not optimizer.built:
        optimizer.build(network.trainable_variables)


def fit_network(
    network: Any,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int = 32,
    learning_rate: float,
    optimizer: Any = "adam",
    optimizer_options: Mapping[str, Any] | None = None,
    schedule: str | None = "one_cycle",
    schedule_options: Mapping[str, Any] | None = None,
    loss: Any = None,
    metrics: Sequence[Any] = ("accuracy",),
    rate_factors: dict[str, float] | None = None,
    class_weight: Mapping[int, float] | None = None,
    validation_data: tuple[Any, Any] | None = None,
    callbacks: Sequence[Any] = (),
    fit_options: Mapping[str, Any] | None = None,
    refresh_batch_norm: bool = True,
    mixup: float = 0.0,
    verbose: int = 0,
) -> dict[str, list[float]]:
    """Compile and train ``network`` under a per-batch learning-rate schedule.

    The optimizer is built fresh (an instance given is copied), the schedule
    spans exactly ``epochs`` passes of ``ceil(len(x) / batch_size)`` steps,
    and a :class:`~specauth.training.LearningRateRecorder` records the rate
    every step used. A ``Normalization`` layer whose statistics were never
    set (``input_norm="standard"``) is first set from ``x``
    (:func:`~specauth.training.adapt_normalization`).

    Parameters
    ----------
    network : keras.Model
        Trained in place (and recompiled).
    x, y : array-like
        Training inputs and targets, as the network's loss takes them; or
        ``x`` a ``keras.utils.PyDataset`` giving ``(inputs, targets)``
        batches (:class:`specauth.datasets.HDF5Dataset`), its own batch
        size, and ``y`` ignored: the statistics that need the data at once
        come from a sample of its batches
        (:func:`specauth.training.streams.stream_sample`).
    epochs : int
        Passes over ``x`` (>= 1).
    batch_size : int, default=32
    learning_rate : float
        Peak (``"one_cycle"``, ``"clr"``) or fixed (``"constant"``) rate.
    optimizer : str, optimizer class or instance, default="adam"
    optimizer_options : dict or None, default=None
        Extra optimizer constructor arguments.
    schedule : {"one_cycle", "clr", "constant"} or None, default="one_cycle"
        See :func:`specauth.training.optimizers.make_schedule`.
    schedule_options : dict or None, default=None
        Arguments of the schedule (``pct_start``, ``max_momentum`` ...).
    loss : keras loss or None, default=None
        ``None``: sparse categorical cross-entropy on logits; with ``mixup``,
        categorical cross-entropy on logits (the targets are one-hot).
    metrics : sequence, default=("accuracy",)
    rate_factors : dict or None, default=None
        Discriminative learning-rate multipliers per variable path.
    class_weight : dict or None, default=None
        Passed to ``Model.fit``; with ``mixup``, turned into a weight per
        sample (the class of one-hot targets is their argmax) that is mixed
        like the targets.
    validation_data : tuple or None, default=None
        ``(x_val, y_val)`` evaluated after every epoch.
    callbacks : sequence of keras callbacks, default=()
        Run after the schedule's own callbacks and the recorder.
    fit_options : dict or None, default=None
        Further ``Model.fit`` arguments (``shuffle``, ``sample_weight`` ...);
        those this function sets itself (``epochs``, ``batch_size`` ...) are
        refused.
    refresh_batch_norm : bool, default=True
        After training, set the running statistics of every trainable
        BatchNorm layer from ``x``
        (:func:`~specauth.training.batch_norm.recompute_batch_norm`), so that
        inference uses the statistics the trained weights expect even when
        training took few steps (small data, one batch per epoch).
    mixup : float, default=0.0
        ``alpha`` of mixup (Zhang et al., 2018); 0 turns it off. When > 0,
        training runs on :class:`~specauth.training.MixupBatches` of ``x``
        and ``y`` (``batch_size`` samples, reshuffled every epoch, mixed with
        ``lam ~ Beta(alpha, alpha)``; 0.2-0.4 is typical), seeded from
        numpy's global generator (which ``keras.utils.set_random_seed``
        seeds). ``y`` must be one-hot or
        real-valued; ``fit_options``' ``shuffle`` and ``sample_weight`` go to
        the batches. Validation data and the statistics set from ``x`` stay
        unmixed. Arrays only: a stream ``x`` is refused.
    verbose : {0, 1, 2}, default=0
        0: silent; 1: one progress bar over the epochs; 2: a line per epoch.

    Returns
    -------
    history : dict of list of float
        Per-epoch metrics (``loss``, ``accuracy``, ``val_...``, ``lr``) and
        ``"lr_per_batch"``, the rate of every step.

    Raises
    ------
    ValueError
        For a learning rate or a class weight that is not a finite positive
        number, ``fit_options`` that set what this function sets, a negative
        ``mixup``, or ``mixup`` with a stream or integer class labels.
    TrainingDivergedError
        When the loss or the weights became non-finite during training
        (:mod:`specauth.training.divergence`): no half-trained network with
        NaN weights is returned as if it were fine.

    Examples
    --------
    >>> import keras, numpy as np
    >>> network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> x, y = np.random.default_rng(0).normal(size=(20, 4)), np.arange(20) % 2
    >>> history = fit_network(network, x, y, epochs=2, batch_size=10,
    ...                       learning_rate=1e-2)
    >>> len(history["loss"]), len(history["lr_per_batch"])
    (2, 4)
    """
    from specauth.training._traced_graphs import release_traced_graphs
    from specauth.training.batch_norm import recompute_batch_norm
    from specauth.training.divergence import (
        StopOnNonFiniteLoss,
        check_trained_network,
    )
    from specauth.training.normalization import adapt_normalization
    from specauth.training.optimizers import make_schedule
    from specauth.training.progress import EpochProgressBar
    from specauth.training.recorder import LearningRateRecorder
    from specauth.training.streams import is_stream, stream_sample

    epochs = check_scalar("epochs", epochs, Interval(Integral, 1, None, "left"))
    learning_rate = check_scalar(
        "learning_rate", learning_rate, Interval(Real, 0, None, "neither"), finite=True
    )
    _check_class_weight(class_weight)
    batch_size = check_scalar(
        "batch_size", batch_size, Interval(Integral, 1, None, "left")
    )
    verbose = check_scalar("verbose", verbose, Interval(Integral, 0, 2, "both"))
    mixup = check_scalar("mixup", mixup, Interval(Real, 0, None, "left"), finite=True)
    streamed = is_stream(x)
    if streamed and mixup:
        raise ValueError(
            f"`mixup={mixup}` mixes in-memory arrays; got a stream of batches "
            f"({type(x).__name__}). Train on arrays, or set `mixup=0`."
        )
    if not streamed and len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same length; got {len(x)} and {len(y)}."
        )
    fit_options = dict(fit_options or {})
    reserved = sorted(set(fit_options) & {*RESERVED_FIT_OPTIONS, "callbacks"})
    if reserved:
        raise ValueError(
            f"`fit_options` must not set {reserved}: fit_network sets them itself."
        )
    sample = stream_sample(x)[0] if streamed else x
    adapt_normalization(network, sample, only_unset=True)
    steps = (len(x) if streamed else math.ceil(len(x) / batch_size)) * epochs
    lr_or_schedule, schedule_callbacks = make_schedule(
        schedule, learning_rate, total_steps=steps, options=dict(schedule_options or {})
    )
    if mixup and loss is None:  # mixed class targets are soft: not sparse
        loss = _soft_target_loss()
    compile_network(
        network,
        lr_or_schedule,
        optimizer=optimizer,
        optimizer_options=optimizer_options,
        loss=loss,
        metrics=metrics,
        rate_factors=rate_factors,
    )
    recorder, stop = LearningRateRecorder(), StopOnNonFiniteLoss()
    all_callbacks = [*schedule_callbacks, recorder, stop, *callbacks]
    if verbose == 1:
        all_callbacks.append(EpochProgressBar(epochs))
    if streamed:  # the stream gives the targets and sizes its batches
        data = {"x": x}
        if validation_data is not None and is_stream(validation_data[0]):
            validation_data = validation_data[0]
    elif mixup:
        data = _mixup_data(x, y, batch_size, mixup, class_weight, fit_options)
        class_weight = None  # folded into the batches' sample weights
    else:
        data = {"x": x, "y": y, "batch_size": batch_size}
    _build_optimizer(network)
    with release_traced_graphs():  # TensorFlow keeps every traced step
        result = network.fit(
            **data,
            epochs=epochs,
            validation_data=validation_data,
            callbacks=all_callbacks,
            verbose=2 if verbose == 2 else 0,
            class_weight=class_weight,
            **fit_options,
        )
    check_trained_network(network, stop, learning_rate)
    if refresh_batch_norm:
        # a stream's samples may be large patterns: statistics at its batch size
        bn_batch = len(x[0][0]) if streamed else max(batch_size, 128)
        recompute_batch_norm(network, sample, batch_size=bn_batch)
    history = {k: [float(v) for v in vals] for k, vals in result.history.items()}
    history["lr_per_batch"] = [float(v) for v in recorder.lrs]
    return history


def _soft_target_loss():
    from specauth._lazy import import_keras

    return import_keras().losses.CategoricalCrossentropy(from_logits=True)


def _mixup_data(x, y, batch_size, alpha, class_weight, fit_options):
    """``Model.fit`` data: mixed batches of ``(x, y)``; pops from ``fit_options``.

    Keras takes neither ``class_weight`` nor ``sample_weight`` with a
    ``PyDataset``: both become one weight per sample, mixed with the targets.
    The batches shuffle themselves, so ``Model.fit`` is told not to.
    """
    import numpy as np

    from specauth.training.mixup_batches import MixupBatches

    weights = fit_options.pop("sample_weight", None)
    if class_weight is not None:
        targets = np.asarray(y)
        if targets.ndim > 1 and targets.shape[-1] > 1:
            classes = targets.argmax(axis=-1)
        else:  # as Keras reads class_weight for other targets
            classes = np.round(targets.reshape(len(targets))).astype(int)
        by_class = np.array([class_weight.get(int(c), 1.0) for c in classes])
        weights = by_class if weights is None else by_class * np.asarray(weights)
    batches = MixupBatches(
        x,
        y,
        batch_size,
        alpha=alpha,
        seed=int(np.random.randint(0, 2**31 - 1)),
        shuffle=bool(fit_options.pop("shuffle", True)),
        sample_weight=weights,
    )
    fit_options["shuffle"] = False
    return {"x": batches}


def _check_class_weight(class_weight):
    """Refuse class weights that are not finite positive numbers."""
    if class_weight is None:
        return
    for label, weight in class_weight.items():
        check_scalar(
            f"class_weight[{label!r}]",
            weight,
            Interval(Real, 0, None, "neither"),
            finite=True,
        )


def split_validation(
    x: Any,
    y: Any,
    fraction: float | None,
    *,
    stratify: Any = None,
    seed: int | None = None,
) -> tuple[tuple[Any, Any], tuple[Any, Any] | None]:
    """Hold out ``fraction`` of ``(x, y)`` for validation.

    Returns ``((x_train, y_train), (x_val, y_val))``, or ``((x, y), None)``
    when ``fraction`` is None. ``stratify`` (the class of each sample, or
    None) keeps the class proportions in both parts.

    Examples
    --------
    >>> import numpy as np
    >>> (train, valid) = split_validation(np.arange(8), np.arange(8) % 2, 0.25,
    ...                                   stratify=np.arange(8) % 2, seed=0)
    >>> len(train[0]), sorted(valid[1].tolist())
    (6, [0, 1])
    """
    if fraction is None:
        return (x, y), None
    from specauth.training.streams import is_stream, split_stream

    if is_stream(x):
        return split_stream(x, y, fraction, seed=seed)
    from sklearn.model_selection import train_test_split

    try:
        parts = train_test_split(
            x, y, test_size=fraction, random_state=seed, stratify=stratify
        )
    except ValueError as err:
        raise ValueError(
            f"`validation_fraction={fraction}` cannot hold out a "
            f"stratified validation set from {len(x)} samples: {err}"
        ) from err
    return (parts[0], parts[2]), (parts[1], parts[3])

"""Learning-rate range test (Smith, 2017; fastai's ``lr_find``)."""

from __future__ import annotations

import contextlib
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils import check_random_state

from specauth._lazy import import_keras
from specauth._validation import Interval, check_finite, check_scalar
from specauth.training.lr_finder_result import LRFinderResult

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["lr_find"]


def lr_find(
    model_or_estimator: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_it: int = 100,
    batch_size: int = 32,
    beta: float = 0.98,
    stop_div: bool = True,
    div_threshold: float = 4.0,
    random_state: int | np.random.RandomState | None = None,
    verbose: int = 0,
) -> LRFinderResult:
    """Train briefly with an exponentially growing learning rate, record the loss.

    Iteration ``i`` (of ``num_it``) trains on one mini-batch with the rate
    ``start_lr * (end_lr / start_lr) ** (i / (num_it - 1))``, cycling through
    the data (reshuffled at each pass; every batch holds ``batch_size``
    samples, or all of them if there are fewer). The loss is smoothed by an
    exponential moving average with bias correction,
    ``avg = beta * avg + (1 - beta) * loss``, ``smoothed = avg / (1 - beta **
    (i + 1))``. The sweep stops early when the smoothed loss exceeds
    ``div_threshold`` times the best smoothed loss so far (if ``stop_div``),
    and always at a NaN or infinite loss, keeping the points before it.

    Afterwards the model's variables (weights, normalisation statistics,
    random-seed states) and the optimizer's variables (iteration count,
    moments, learning rate) are put back bit for bit, and so is the optimizer's
    learning rate when it is a schedule: the model can be trained as if
    ``lr_find`` had never run.

    Parameters
    ----------
    model_or_estimator : keras.Model or estimator
        A compiled ``keras.Model`` (its loss and optimizer are used; the
        optimizer's learning rate may be a float or a schedule), or an
        estimator with a ``build_network(X, y)`` method returning ``(model,
        X_array, y_array)`` with a compiled model, such as
        :class:`~specauth.estimators.CNNClassifier`.
    X : array-like of shape (n_samples, ...)
        Training inputs.
    y : array-like of shape (n_samples, ...)
        Training targets, as the model's loss expects them (for an
        estimator: as its ``fit`` takes them).
    start_lr : float, default=1e-7
        First learning rate, > 0.
    end_lr : float, default=10.0
        Last learning rate, > ``start_lr``.
    num_it : int, default=100
        Number of mini-batches (learning rates), >= 2.
    batch_size : int, default=32
        Mini-batch size, >= 1.
    beta : float, default=0.98
        Smoothing factor of the moving average, in [0, 1).
    stop_div : bool, default=True
        Stop when the smoothed loss exceeds ``div_threshold`` times its best.
    div_threshold : float, default=4.0
        Divergence factor, > 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling; the same value gives the same curve. ``None``
        with an estimator uses the estimator's own ``random_state``, so that
        ``lr_find(CNNClassifier(random_state=0), X, y)`` is reproducible as
        its ``fit`` is.
    verbose : int, default=0
        Print one line per iteration if > 0.

    Returns
    -------
    result : LRFinderResult
        Rates, smoothed and raw losses, and the ``valley``, ``slide``,
        ``minimum`` and ``steep`` suggestions; ``result.plot()`` draws it.

    Raises
    ------
    ValueError
        If an argument is out of range, the model is not compiled, or ``X``
        and ``y`` differ in length.
    TypeError
        If ``model_or_estimator`` is neither a Keras model nor an estimator
        with ``build_network``, or an argument has the wrong type.

    See Also
    --------
    LRFinderResult : the returned curve and its suggestions.
    OneCycleSchedule : train with ``max_lr=result.valley``.

    References
    ----------
    L. N. Smith, "Cyclical Learning Rates for Training Neural Networks",
    WACV 2017, arXiv:1506.01186 (the "LR range test").

    Examples
    --------
    >>> import numpy as np, keras
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype("float32")
    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(keras.optimizers.SGD(0.01), loss="binary_crossentropy")
    >>> result = lr_find(model, X, y, num_it=30, batch_size=16, random_state=0)
    >>> len(result.lrs) <= 30, float(result.lrs[0])
    (True, 1e-07)
    >>> 1e-7 <= result.valley <= 10.0
    True
    """
    _check_sweep_params(
        start_lr, end_lr, num_it, batch_size, beta, stop_div, div_threshold, verbose
    )
    if random_state is None and not _is_keras_model(model_or_estimator):
        random_state = getattr(model_or_estimator, "random_state", None)
    rng = check_random_state(random_state)
    model, X, y = _resolve_model(model_or_estimator, X, y)
    X, y = _check_data(X, y)
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_it) / (num_it - 1))
    batches = _batch_indices(len(X), batch_size, num_it, rng)
    stop = div_threshold if stop_div else np.inf
    from specauth.training._traced_graphs import release_traced_graphs

    with _preserved_training_state(model, X) as lr_variable, release_traced_graphs():
        raw, smoothed, reason = _sweep(
            model, X, y, lrs, batches, lr_variable, beta, stop, verbose
        )
    if not raw:
        warnings.warn(
            f"lr_find: the loss was not finite at the first learning rate "
            f"({start_lr:g}); no point was recorded. Check the data and the model.",
            UserWarning,
            stacklevel=2,
        )
    return LRFinderResult(lrs[: len(raw)], smoothed, raw, stop_reason=reason)


def _check_sweep_params(
    start_lr, end_lr, num_it, batch_size, beta, stop_div, div_threshold, verbose
):
    positive = Interval(Real, 0, None, closed="neither", finite=True)
    check_scalar("start_lr", start_lr, positive)
    check_scalar("end_lr", end_lr, positive)
    if end_lr <= start_lr:
        raise ValueError(
            f"`end_lr` must be > `start_lr`; got end_lr={end_lr!r} <= "
            f"start_lr={start_lr!r}."
        )
    check_scalar("num_it", num_it, Interval(Integral, 2, None))
    check_scalar("batch_size", batch_size, Interval(Integral, 1, None))
    check_scalar("beta", beta, Interval(Real, 0, 1, closed="left"))
    if not isinstance(stop_div, (bool, np.bool_)):
        raise TypeError(f"`stop_div` must be a bool; got {stop_div!r}.")
    check_scalar("div_threshold", div_threshold, Interval(Real, 1, None, "neither"))
    if not isinstance(verbose, (bool, np.bool_)):
        check_scalar("verbose", verbose, Interval(Integral, 0, None))


def _is_keras_model(obj):
    from specauth._lazy import import_keras

    return isinstance(obj, import_keras().Model)


def _resolve_model(model_or_estimator, X, y):
    """Return ``(compiled keras model, X, y)``."""
    keras = import_keras()
    if callable(getattr(model_or_estimator, "build_network", None)):
        model, X, y = model_or_estimator.build_network(X, y)
    elif isinstance(model_or_estimator, keras.Model):
        model = model_or_estimator
    else:
        raise TypeError(
            "`model_or_estimator` must be a compiled keras.Model or an estimator "
            "with a `build_network(X, y)` method (e.g. CNNClassifier); got "
            f"{type(model_or_estimator).__name__}."
        )
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(
            f"The model given to lr_find ({model.name!r}) is not compiled; call "
            "`model.compile(optimizer=..., loss=...)` first."
        )
    return model, X, y


def _check_data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"`X` and `y` must be arrays with one row per sample; got shapes "
            f"{X.shape} and {y.shape}."
        )
    if len(X) != len(y):
        raise ValueError(
            f"`X` and `y` must have the same number of samples; got {len(X)} "
            f"and {len(y)}."
        )
    if len(X) == 0:
        raise ValueError("`X` must hold at least 1 sample; got 0.")
    check_finite(X, "X")
    check_finite(y, "y")
    return X, y


def _batch_indices(n_samples, batch_size, num_it, rng):
    """``num_it`` index arrays of equal size; the data reshuffled at each pass."""
    size = min(batch_size, n_samples)
    per_pass = n_samples // size
    n_passes = -(-num_it // per_pass)
    batches = []
    for _ in range(n_passes):
        order = rng.permutation(n_samples)
        batches.extend(np.split(order[: per_pass * size], per_pass))
    return batches[:num_it]


def _sweep(model, X, y, lrs, batches, lr_variable, beta, stop, verbose):
    """Run the sweep; return raw losses, smoothed losses and the stop reason."""
    raw, smoothed = [], []
    average, best = 0.0, np.inf
    for i, (lr, rows) in enumerate(zip(lrs, batches, strict=True)):
        lr_variable.assign(lr)
        logs = model.train_on_batch(X[rows], y[rows], return_dict=True)
        loss = float(logs["loss"])
        if not np.isfinite(loss):
            _report(verbose, f"lr_find: stopped at lr={lr:.3g}, loss={loss}.")
            return raw, smoothed, "non-finite"
        average = beta * average + (1.0 - beta) * loss
        smooth = average / (1.0 - beta ** (i + 1))
        raw.append(loss)
        smoothed.append(smooth)
        _report(verbose, f"lr_find {i + 1}/{len(lrs)}: lr={lr:.3g} loss={loss:.4g}")
        if smooth > stop * best:
            _report(verbose, f"lr_find: the loss diverged at lr={lr:.3g}.")
            return raw, smoothed, "diverged"
        best = min(best, smooth)
    return raw, smoothed, "completed"


def _report(verbose, message):
    if verbose:
        print(message)


@contextlib.contextmanager
def _preserved_training_state(model, X):
    """Yield a variable that sets the learning rate; restore everything after.

    The model's and the optimizer's variables are saved (building them first
    if needed) and assigned back on exit. A float learning rate lives in an
    optimizer variable, which is yielded as is. A schedule (or callable) is
    replaced by a callable reading a new variable, and put back on exit; the
    compiled train step is traced again on both sides of the sweep, since a
    step traced before would keep the old schedule and one traced during the
    sweep would keep the variable.
    """
    keras = import_keras()
    optimizer = model.optimizer
    if not model.built:
        model(X[:1], training=False)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    owner = getattr(optimizer, "inner_optimizer", optimizer)
    variables = [*model.variables, *optimizer.variables, *owner.variables]
    unique = {id(variable): variable for variable in variables}.values()
    saved = [(variable, np.array(variable.numpy(), copy=True)) for variable in unique]
    original_lr = owner._learning_rate  # float (as a variable) or schedule
    swap = not isinstance(original_lr, keras.Variable)
    if swap:
        lr_variable = keras.Variable(
            0.0, dtype="float32", trainable=False, name="lr_find_learning_rate"
        )
        # Tracked by the optimizer, the variable is part of the state the
        # compiled step reads (a callable reading an outside variable would
        # be frozen at its traced value on the JAX backend).
        owner._learning_rate = lr_variable
        owner._track_variable(lr_variable)
        model.train_function = None
    else:
        lr_variable = original_lr
    torch_rng = _torch_rng_state()
    try:
        yield lr_variable
    finally:
        if swap:
            owner._untrack_variable(lr_variable)
            owner._learning_rate = original_lr
            model.train_function = None
        for variable, value in saved:
            variable.assign(value)
        _restore_torch_rng_state(torch_rng)


def _torch_rng_state():
    """Torch's global generator states on the torch backend, else None.

    On torch, an unseeded ``Dropout`` draws from torch's global CPU/CUDA
    generators rather than from a Keras seed variable, so they are saved and
    put back like the model's variables.
    """
    keras = import_keras()
    if keras.backend.backend() != "torch":
        return None
    import torch

    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return torch.get_rng_state(), cuda


def _restore_torch_rng_state(state):
    if state is None:
        return
    import torch

    cpu, cuda = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)

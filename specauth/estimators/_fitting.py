"""How the Keras estimators fit their network: through the shared training loop.

:class:`NetworkFittingMixin` turns an estimator's parameters into the
arguments of :func:`specauth.training.loop.fit_network` (the head phase) and
:func:`specauth.training.unfrozen.fit_unfrozen` (``fine_tune_epochs``), runs
the learning-rate finder for ``learning_rate="find"``, and stores the fitted
network and history.
"""

from __future__ import annotations

import gc

import numpy as np

from specauth.estimators._routing import route
from specauth.estimators._seeding import keras_seed, seed_from_random_state
from specauth.training.unfrozen import UNFROZEN_DEFAULTS

__all__ = ["NetworkFittingMixin"]


class NetworkFittingMixin:
    """Fit ``network_`` from the estimator's parameters (see BaseCNNEstimator)."""

    def _compile_options(self):
        return {
            "optimizer": self.optimizer,
            "optimizer_options": route(self.get_params(), "optimizer"),
            "loss": self._loss(),
            "metrics": self._metrics(),
        }

    def _training_options(self, train, valid):
        """Arguments of :func:`~specauth.training.loop.fit_network` but the rate."""
        fit_options = route(self.get_params(), "fit")
        if "class_weight" in fit_options:  # fit__class_weight wins
            class_weight = fit_options.pop("class_weight")
        else:
            class_weight = self._keras_class_weight(train[1])
        return {
            **self._compile_options(),
            "batch_size": self.batch_size,
            "class_weight": class_weight,
            "validation_data": valid,
            "callbacks": fit_options.pop("callbacks", []),
            "fit_options": fit_options,
            "mixup": float(self.mixup),
            "verbose": int(self.verbose),
        }

    def _fit_network(self, X, targets, n_outputs, *, stratify=None):
        """Build, optionally lr-find, and train a network; set fitted state.

        A fit that fails (a diverging loss, an interrupt) leaves the estimator
        unfitted rather than holding the state of a half-finished fit.
        """
        try:
            return self._train_network(X, targets, n_outputs, stratify=stratify)
        except BaseException:
            for name in [k for k in vars(self) if k.endswith("_")]:
                if not name.startswith("__"):
                    delattr(self, name)
            raise

    def _train_network(self, X, targets, n_outputs, *, stratify=None):
        from specauth.training.loop import fit_network, split_validation
        from specauth.training.normalization import adapt_normalization
        from specauth.training.streams import is_stream, stream_sample, stream_size
        from specauth.training.unfrozen import check_unfreezable, fit_unfrozen

        if self.mixup and is_stream(X):  # before building anything
            raise ValueError(
                f"`mixup={self.mixup}` mixes in-memory spectra; it is not available "
                f"when `X` is a stream ({type(X).__name__}). Pass arrays, or set "
                "`mixup=0`."
            )
        self.__dict__.pop("network_", None)
        self.__dict__.pop("_embedding_network", None)
        gc.collect()  # release the previous network before building a new one
        seed = seed_from_random_state(self.random_state)
        options = {**UNFROZEN_DEFAULTS, **route(self.get_params(), "fine_tune")}
        with keras_seed(seed):
            network = self._build_network(n_outputs, seed)
            if self.fine_tune_epochs:
                check_unfreezable(
                    network,
                    options["unfreeze"],
                    what=f"`fine_tune_epochs={self.fine_tune_epochs}`",
                    name="fine_tune__unfreeze",
                )
            train, valid = split_validation(
                X, targets, self.validation_fraction, stratify=stratify, seed=seed
            )
            streamed = is_stream(X)
            sample = stream_sample(train[0]) if streamed else train
            adapt_normalization(network, sample[0])
            lr = self.learning_rate
            if lr == "find":
                found = sample if streamed else (X, targets)
                lr = self._find_learning_rate(network, *found, seed)
            n_train = stream_size(train[0]) if streamed else len(train[0])
            epochs = self._epochs_for(n_train)
            history = fit_network(
                network,
                *train,
                epochs=epochs,
                learning_rate=lr,
                schedule=self.schedule,
                schedule_options=route(self.get_params(), "schedule"),
                **self._training_options(train, valid),
            )
            if self.fine_tune_epochs:
                tuned = fit_unfrozen(
                    network,
                    *train,
                    epochs=self.fine_tune_epochs,
                    head_learning_rate=lr,
                    **options,
                    **self._training_options(train, valid),
                )
                history = _merge_phases(history, tuned, epochs)
        self._set_network(network)
        self.epochs_ = epochs
        self.learning_rate_ = float(lr)
        self.history_ = history
        self._check_inference_agreement(train, valid, float(lr))
        return self

    def _epochs_for(self, n_train):
        """Epochs of the head phase: ``epochs``, or :func:`auto_epochs`."""
        from specauth.training.budget import auto_epochs

        if self.epochs == "auto":
            return auto_epochs(n_train, self.batch_size)
        return int(self.epochs)

    def _inference_accuracy(self, x, targets):
        from specauth.training.streams import is_stream, stream_sample

        if is_stream(x):  # a sample of its batches, with their own targets
            x, targets = stream_sample(x)
        targets = np.asarray(targets)
        if targets.ndim == 2:  # one-hot targets (mixup)
            targets = targets.argmax(axis=-1)
        predicted = self._run(self.network_, x).argmax(axis=-1)
        return float(np.mean(predicted == targets.ravel()))

    def _check_inference_agreement(self, train, valid, lr):
        """Settle, then warn, when ``predict`` disagrees with the training accuracy.

        The history's accuracy is measured in training mode (batch statistics,
        Dropout active); ``predict`` runs in inference mode. When the
        inference-mode accuracy on the training data is more than
        :data:`SETTLE_TOLERANCE` below the last epoch's, the network trains
        :func:`settle_epochs` more epochs with its BatchNorm layers frozen
        (their statistics are those ``predict`` uses) at a tenth of the
        learning rate, a phase ``"settle"`` of ``history_``. If the two still
        disagree badly, an :class:`InferenceMismatchWarning` says so.

        With ``mixup`` the history's accuracy is that of the mixed batches
        (argmax of the mixed target, the class of the larger share), which
        runs below the accuracy on unmixed spectra: the check stays, as a
        looser bound, and the settling phase trains with mixup too.
        """
        from specauth.training.batch_norm import check_inference_agreement

        if "accuracy" not in self.history_:
            return
        reached = self.history_["accuracy"][-1]
        x, targets = train
        accuracy = self._inference_accuracy(x, targets)
        if reached - accuracy > SETTLE_TOLERANCE and self._settle(train, valid, lr):
            accuracy = self._inference_accuracy(x, targets)
        check_inference_agreement(reached, accuracy, what=type(self).__name__)

    def _settle(self, train, valid, lr):
        """Train with BatchNorm frozen; False when there is no BatchNorm."""
        from specauth.training.batch_norm import frozen_batch_norm
        from specauth.training.loop import fit_network

        network = self.network_
        epochs = settle_epochs(self.epochs_)
        with frozen_batch_norm(network) as n_frozen:
            if not n_frozen:
                return False
            settled = fit_network(
                network,
                *train,
                epochs=epochs,
                learning_rate=lr / 10.0,
                schedule=None,
                refresh_batch_norm=False,
                **self._training_options(train, valid),
            )
        self.history_ = _append_phase(self.history_, settled, "settle")
        return True

    def _find_learning_rate(self, network, X, targets, seed):
        from specauth.training import lr_find
        from specauth.training.loop import compile_network

        compile_network(network, 1e-7, **self._compile_options())
        result = lr_find(
            network,
            X,
            targets,
            batch_size=self.batch_size,
            random_state=seed,
            **route(self.get_params(), "lr_find"),
        )
        self.lr_finder_ = result
        return float(result.valley)


#: Largest drop from the last epoch's accuracy to ``predict``'s on the training
#: data accepted without a settling phase (one spectrum in 20).
SETTLE_TOLERANCE = 0.05


def settle_epochs(epochs: int) -> int:
    """Epochs of the settling phase: a quarter of the fit's, at least 10.

    A fit of fewer than 10 epochs settles as many epochs as it trained.

    >>> settle_epochs(60), settle_epochs(10), settle_epochs(3)
    (15, 10, 3)
    """
    return max(epochs // 4, min(epochs, 10))


def _append_phase(history, extra, name):
    """``history`` followed by the epochs of ``extra``, marked ``phase=name``."""
    n_before = len(history["loss"])
    phases = history.get("phase", ["train"] * n_before)
    merged = {
        k: list(history.get(k, [])) + list(extra.get(k, []))
        for k in {*history, *extra}
        if k != "phase"
    }
    merged["phase"] = list(phases) + [name] * len(extra["loss"])
    return merged


def _merge_phases(head, tuned, head_epochs):
    """One history from the head phase's and the fine-tuning phase's."""
    merged = {k: head.get(k, []) + tuned.get(k, []) for k in {*head, *tuned}}
    merged["phase"] = ["head"] * head_epochs + ["fine_tune"] * len(tuned["loss"])
    return merged

"""Preprocessing + classifier pipelines built from command-line options."""

from __future__ import annotations

from specauth.cli._detectors import DETECTOR_NAMES, make_detector

__all__ = [
    "add_model_arguments",
    "build_pipeline",
    "classifier_from_args",
    "final_step_from_args",
    "preprocessing_steps",
]

NORMALIZE_CHOICES = ("sum", "max", "area", "snv", "l2", "none")


def _learning_rate(text):
    if text == "find":
        return text
    try:
        value = float(text)
    except ValueError as err:
        raise ValueError(f"expected a number or 'find', got {text!r}") from err
    return value


def add_model_arguments(parser, *, epochs=None):
    """Add the options shared by ``demo`` and ``train`` to ``parser``."""
    group = parser.add_argument_group("model and training")
    group.add_argument(
        "--model",
        default="cnn1d",
        help="registered network name (default: %(default)s)",
    )
    group.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help="training epochs (default: the classifier's, 60)",
    )
    group.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="mini-batch size (default: %(default)s)",
    )
    group.add_argument(
        "--lr",
        type=_learning_rate,
        default=3e-3,
        help="peak learning rate, or 'find' to run the "
        "learning-rate finder (default: %(default)s)",
    )
    group.add_argument(
        "--schedule",
        choices=("one_cycle", "clr", "constant"),
        default="one_cycle",
        help="learning-rate schedule (default: %(default)s)",
    )
    group.add_argument(
        "--seed", type=int, default=0, help="random seed (default: %(default)s)"
    )
    group.add_argument(
        "--detector",
        choices=(*sorted(DETECTOR_NAMES), "none"),
        default="knn",
        help="out-of-distribution detector that rejects unknown classes "
        "('none' for a closed-set classifier; default: %(default)s)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="fraction of training spectra the detector may reject "
        "(default: %(default)s)",
    )
    prep = parser.add_argument_group("preprocessing")
    prep.add_argument(
        "--normalize",
        choices=NORMALIZE_CHOICES,
        default="sum",
        help="per-spectrum normalisation (default: %(default)s)",
    )
    prep.add_argument(
        "--no-log",
        dest="log",
        action="store_false",
        help="skip the log(clip(x, 1e-7)) transform",
    )
    prep.add_argument(
        "--crop",
        metavar="START:STOP",
        default=None,
        help="keep points START..STOP-1 (indices), e.g. 0:2631",
    )


def _parse_crop(text):
    if text is None:
        return None
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return (int(start) if start else None, int(stop) if stop else None)
    except ValueError as err:
        raise ValueError(
            f"--crop must look like START:STOP with integer indices; got {text!r}."
        ) from err


def classifier_from_args(args, *, verbose=1):
    """Return the CNNClassifier described by the command-line options."""
    from specauth.estimators import CNNClassifier

    options = dict(
        model=args.model,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        schedule=args.schedule,
        random_state=args.seed,
        verbose=verbose,
    )
    if args.epochs is not None:
        options["epochs"] = args.epochs
    return CNNClassifier(**options)


def final_step_from_args(args, classifier):
    """Wrap ``classifier`` in an OpenSetClassifier unless ``--detector none``."""
    if args.detector == "none":
        return classifier
    if not 0 < args.alpha < 1:
        raise ValueError(f"--alpha must be in (0, 1); got {args.alpha}.")
    from specauth.openset import OpenSetClassifier

    return OpenSetClassifier(classifier, make_detector(args.detector, args.alpha))


def preprocessing_steps(args):
    """Return the ``(name, transformer)`` steps: [crop], [normalise], [log]."""
    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    steps = []
    crop = _parse_crop(args.crop)
    if crop is not None:
        steps.append(("crop", Crop(*crop)))
    if args.normalize != "none":
        steps.append(("normalize", SpectrumNormalizer(method=args.normalize)))
    if args.log:
        steps.append(("log", LogTransform()))
    return steps


def build_pipeline(args, classifier):
    """Return ``Pipeline([crop], [normalise], [log], classifier)``."""
    from sklearn.pipeline import Pipeline

    return Pipeline([*preprocessing_steps(args), ("classifier", classifier)])

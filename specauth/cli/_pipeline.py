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
        help="registered network name: a 1D network (cnn1d, resnet1d, ...) or a "
        "pretrained 2D base (mobilenetv2, efficientnetb0, ...; needs --imaging) "
        "(default: %(default)s)",
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
    image = parser.add_argument_group("2D path (pretrained bases)")
    image.add_argument(
        "--imaging",
        choices=("gasf", "gadf"),
        default=None,
        help="image each spectrum as a Gramian angular field inside the network "
        "(needed by the 2D bases)",
    )
    image.add_argument(
        "--image-size",
        type=int,
        default=None,
        metavar="N",
        help="side of the images (default: the spectrum length, at most the "
        "base's ImageNet size)",
    )
    image.add_argument(
        "--weights",
        default=None,
        metavar="imagenet|FILE",
        help="pretrained weights of the base: 'imagenet' (downloaded by Keras) "
        "or a weights file (default: imagenet)",
    )
    image.add_argument(
        "--pixels",
        choices=("auto", "tf", "torch", "caffe", "none"),
        default="auto",
        help="pixel convention of the weights ('torch' for weights converted "
        "from PyTorch; default: the base's own)",
    )
    image.add_argument(
        "--fine-tune",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="after training the head, unfreeze the base and train this many "
        "epochs with discriminative learning rates (default: 0)",
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
    options.update(_image_options(args))
    return CNNClassifier(**options)


def _image_options(args):
    """CNNClassifier parameters of the 2D options; errors if misused."""
    from specauth.models import list_bases

    two_d = {
        "--imaging": args.imaging,
        "--image-size": args.image_size,
        "--weights": args.weights,
        "--pixels": None if args.pixels == "auto" else args.pixels,
        "--fine-tune": args.fine_tune or None,
    }
    if args.model.lower() not in list_bases():
        given = [flag for flag, value in two_d.items() if value is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} only apply to pretrained 2D bases "
                f"(--model mobilenetv2, ...); --model {args.model} is a 1D network."
            )
        return {}
    if args.imaging is None:
        raise ValueError(
            f"--model {args.model} is a 2D base: add --imaging gasf (or gadf) to "
            "turn spectra into images."
        )
    options = {"model__imaging": args.imaging, "fine_tune_epochs": args.fine_tune}
    if args.image_size is not None:
        options["model__image_size"] = args.image_size
    if args.weights is not None:
        options["model__weights"] = args.weights
    if args.pixels != "auto":
        options["model__preprocessing"] = args.pixels
    return options


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

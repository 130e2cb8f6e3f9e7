"""Preprocessing + classifier pipelines built from command-line options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specauth.cli._options import (
    add_check,
    crop_range,
    epochs_count,
    fraction,
    learning_rate,
    non_negative_float,
    non_negative_int,
    positive_int,
)
from specauth.cli._preprocess import parse_preprocess, preprocess_help

if TYPE_CHECKING:
    import argparse

    from sklearn.pipeline import Pipeline

    from specauth.estimators import CNNClassifier
    from specauth.openset import OpenSetClassifier

__all__ = [
    "add_model_arguments",
    "build_pipeline",
    "check_model_options",
    "classifier_from_args",
    "final_step_from_args",
    "model_options_problem",
    "preprocessing_steps",
]

NORMALIZE_CHOICES = ("sum", "max", "area", "snv", "l2", "none")


def add_model_arguments(
    parser: argparse.ArgumentParser, *, epochs: int | None = None
) -> None:
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
        "--log-activation",
        action="store_true",
        help="a LogActivation sign(x) 0.2 (ln(|x| + 1/e) + 1) after the first "
        "convolution (Zimmermann et al. 2019): for raw counts spanning orders of "
        "magnitude, as diffraction patterns",
    )
    group.add_argument(
        "--augment",
        nargs="?",
        const="auto",
        default=None,
        choices=("auto", *AUGMENT_PRESETS),
        metavar="PRESET",
        help="training-only augmentation: for patterns (resnet2d, vgg2d) any-angle "
        "rotation, flips, small shifts, intensity scaling, photon resampling; "
        "for spectra a preset: spectra (the default), counts (gamma, XRD: "
        "shift, intensity, Poisson noise), nir/absorbance (baseline offset "
        "and slope, small shift)",
    )
    group.add_argument(
        "--mixup",
        type=non_negative_float,
        default=0.0,
        metavar="ALPHA",
        help="mix pairs of spectra and their targets while training, the weight "
        "drawn from Beta(ALPHA, ALPHA); 0.2-0.4 typical (default: off)",
    )
    group.add_argument(
        "--optimizer",
        default="adam",
        choices=OPTIMIZER_NAMES,
        help="optimizer (ranger: Lookahead over RAdam; default: %(default)s)",
    )
    group.add_argument(
        "--epochs",
        type=epochs_count,
        default=epochs,
        help="training epochs (default: the classifier's 'auto', at least 60 "
        "epochs and 1000 optimizer steps)",
    )
    group.add_argument(
        "--batch-size",
        type=positive_int,
        default=32,
        help="mini-batch size (default: %(default)s)",
    )
    group.add_argument(
        "--lr",
        type=learning_rate,
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
        choices=(*_detector_names(), "none"),
        default="knn",
        help="out-of-distribution detector that rejects unknown classes "
        "('none' for a closed-set classifier; default: %(default)s)",
    )
    group.add_argument(
        "--alpha",
        type=fraction,
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
        type=positive_int,
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
        type=non_negative_int,
        default=0,
        metavar="EPOCHS",
        help="after training the head, unfreeze the base and train this many "
        "epochs with discriminative learning rates (default: 0)",
    )
    prep = parser.add_argument_group(
        "preprocessing",
        "Steps run in this order: --crop, --preprocess, --normalize, log. "
        "Without --preprocess the default is --normalize sum then the log (for "
        "counting spectra: gamma, XRD); with --preprocess (IR, Raman, NIR) "
        "neither is added unless asked for with --normalize or --log.",
    )
    prep.add_argument(
        "--preprocess",
        type=parse_preprocess,
        default=None,
        metavar="STEP[,STEP...]",
        help="chemometric steps (chemotools, pybaselines), comma-separated, "
        "each NAME[:PARAM...] with parameters by position, e.g. "
        "snv,savgol:11:2:1 or msc,asls:1e5:0.01. Steps: " + _escaped_help(),
    )
    prep.add_argument(
        "--normalize",
        choices=NORMALIZE_CHOICES,
        default=None,
        help="per-spectrum normalisation (default: sum, or none with --preprocess)",
    )
    prep.add_argument(
        "--log",
        dest="log",
        action="store_const",
        const=True,
        default=None,
        help="take log(clip(x, 1e-7)) (the default without --preprocess)",
    )
    prep.add_argument(
        "--no-log",
        dest="log",
        action="store_const",
        const=False,
        help="skip the log(clip(x, 1e-7)) transform",
    )
    prep.add_argument(
        "--crop",
        metavar="START:STOP",
        type=crop_range,
        default=None,
        help="keep the axis range START..STOP when --x has an axis (e.g. "
        "1800:900 cm-1 or 100:7650 keV, either order, ends included), else the "
        "points START..STOP-1 (indices, e.g. 0:2631); the command says which",
    )
    add_check(parser, check_model_options)


#: Networks of 2D patterns (a bare --augment gives them PatternAugmentation).
PATTERN_NETWORKS = ("resnet2d", "vgg2d", "xresnet2d")
#: Presets of --augment (those of the estimators' ``augmentation``).
AUGMENT_PRESETS = ("spectra", "counts", "nir", "absorbance", "patterns")
#: Names of --optimizer.
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "rmsprop", "nadam", "radam", "ranger")


def classifier_from_args(
    args: argparse.Namespace, *, verbose: int = 1
) -> CNNClassifier:
    """Return the CNNClassifier described by the command-line options."""
    from specauth.estimators import CNNClassifier

    return CNNClassifier(**_network_options(args, verbose))


def regressor_from_args(args: argparse.Namespace, *, verbose: int = 1) -> Any:
    """Return the CNNRegressor described by the command-line options."""
    from specauth.estimators import CNNRegressor

    return CNNRegressor(**_network_options(args, verbose))


def _network_options(args, verbose):
    """Constructor arguments shared by the classifier and the regressor."""
    options = dict(
        model=args.model,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        schedule=args.schedule,
        optimizer=getattr(args, "optimizer", "adam"),
        mixup=getattr(args, "mixup", 0.0),
        random_state=args.seed,
        verbose=verbose,
    )
    if args.epochs is not None:
        options["epochs"] = args.epochs
    if getattr(args, "log_activation", False):
        options["model__log_activation"] = True
    augment = getattr(args, "augment", None)
    if augment == "auto" and args.model.lower() in PATTERN_NETWORKS:
        options["model__augment"] = True  # in the pattern network itself
    elif augment is not None:
        options["augmentation"] = "spectra" if augment == "auto" else augment
    options.update(_image_options(args))
    return options


def _two_d_flags(args):
    """The 2D options given on the command line, by flag."""
    two_d = {
        "--imaging": args.imaging,
        "--image-size": args.image_size,
        "--weights": args.weights,
        "--pixels": None if args.pixels == "auto" else args.pixels,
        "--fine-tune": args.fine_tune or None,
    }
    return [flag for flag, value in two_d.items() if value is not None]


def model_options_problem(args: argparse.Namespace) -> str | None:
    """Why the model options do not fit together, or None when they do."""
    from specauth.models import list_bases

    given = _two_d_flags(args)
    if args.model.lower() not in list_bases():
        if not given:
            return None
        verb = "applies" if len(given) == 1 else "apply"
        return (
            f"{', '.join(given)} only {verb} to pretrained 2D bases "
            f"(--model mobilenetv2, ...); --model {args.model} is a 1D network."
        )
    if args.imaging is None:
        return (
            f"--model {args.model} is a 2D base: add --imaging gasf (or gadf) to "
            "turn spectra into images."
        )
    return None


def check_model_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> None:
    """Report misused 2D options as a usage error (exit code 2)."""
    problem = model_options_problem(args)
    if problem is not None:
        parser.error(problem)


def _image_options(args):
    """CNNClassifier parameters of the 2D options."""
    problem = model_options_problem(args)
    if problem is not None:  # only when the arguments skipped the parser
        raise ValueError(problem)
    if args.imaging is None:  # a 1D network (a 2D base needs --imaging)
        return {}
    options = {"model__imaging": args.imaging, "fine_tune_epochs": args.fine_tune}
    if args.image_size is not None:
        options["model__image_size"] = args.image_size
    if args.weights is not None:
        options["model__weights"] = args.weights
    if args.pixels != "auto":
        options["model__preprocessing"] = args.pixels
    return options


def final_step_from_args(
    args: argparse.Namespace, classifier: CNNClassifier
) -> CNNClassifier | OpenSetClassifier:
    """Wrap ``classifier`` in an OpenSetClassifier unless ``--detector none``."""
    if args.detector == "none":
        return classifier
    from specauth.ood import make_detector
    from specauth.openset import OpenSetClassifier

    return OpenSetClassifier(classifier, make_detector(args.detector, alpha=args.alpha))


def preprocessing_steps(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """Return the ``(name, transformer)`` steps: [crop], [chemometric steps],
    [normalise], [log].

    Without ``--preprocess``, ``--normalize`` defaults to ``sum`` and the log
    is taken; with it, neither is added unless given explicitly (a sum
    normalisation and a log suit counting spectra, not IR absorbances or
    derivatives, which are negative).
    """
    from sklearn.base import clone

    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    chemometric = getattr(args, "preprocess", None) or []
    normalize = getattr(args, "normalize", None)
    if normalize is None:
        normalize = "none" if chemometric else "sum"
    log = getattr(args, "log", None)
    if log is None:
        log = not chemometric
    steps: list[tuple[str, Any]] = []
    if args.crop is not None:  # (start, stop) from crop_range
        steps.append(("crop", Crop(*args.crop)))
    steps += [(name, clone(step)) for name, step in chemometric]
    if normalize != "none":
        steps.append(("normalize", SpectrumNormalizer(method=normalize)))
    if log:
        steps.append(("log", LogTransform()))
    return steps


def build_pipeline(
    args: argparse.Namespace, classifier: CNNClassifier | OpenSetClassifier
) -> Pipeline:
    """Return ``Pipeline([crop], [chemometric], [normalise], [log], classifier)``."""
    from sklearn.pipeline import Pipeline

    return Pipeline([*preprocessing_steps(args), ("classifier", classifier)])


def _escaped_help():
    """The ``--preprocess`` steps for argparse's help (``%`` doubled)."""
    return preprocess_help().replace("%", "%%")


def _detector_names():
    """Names of specauth.ood's detector registry (imported when a parser is built)."""
    from specauth.ood import list_detectors

    return list_detectors()

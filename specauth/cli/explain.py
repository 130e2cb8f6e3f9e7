"""``specauth explain``: one picture per spectrum, coloured by importance.

The network of a saved model is explained with class activation maps
(:class:`~specauth.explain.CAM1D`, or :class:`~specauth.explain.CAM2D` reduced
to the spectrum for networks that image spectra inside) or SHAP values, on
the preprocessed spectra the network reads.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth.cli._axis import add_resample_argument
from specauth.cli._options import add_check, non_negative_int, positive_int

if TYPE_CHECKING:
    import argparse
    import os
    from collections.abc import Sequence

__all__ = ["add_parser", "background_mean", "read_rows", "run"]

METHODS = ("cam", "hirescam", "gradcam", "shap")

_EXAMPLES = """\
examples:
  specauth explain my_model/ --x new.npy --out explanations/            # sample 0
  specauth explain my_model/ --x new.csv --index 0 3 7 --out ex/ --method gradcam
  specauth explain my_model/ --x new.h5 --first 10 --out ex/ --format html
  specauth explain my_model/ --x new.npy --first 5 --class steel --out ex/
  specauth explain my_model/ --x new.npy --method shap --background train.npy \\
                   --out ex/

Files are named sample_<INDEX>.png (or .html); the title gives the predicted
label ('unknown' where the detector rejects the spectrum), its probability and
the class explained (default: the most probable known class).
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``explain`` command."""
    import argparse

    parser = commands.add_parser(
        "explain",
        help="draw spectra coloured by what the network looked at",
        description="Explain the predictions of a model folder written by "
        "`specauth train`: writes one PNG (or interactive HTML) per spectrum, "
        "the spectrum drawn as a line coloured by the importance of each point.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL_DIR", help="saved model folder")
    parser.add_argument("--x", required=True, metavar="FILE", help="spectra file")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--index",
        type=non_negative_int,
        nargs="+",
        metavar="I",
        help="row indices (from 0) of the spectra to explain (default: 0)",
    )
    which.add_argument(
        "--first", type=positive_int, metavar="N", help="explain the first N spectra"
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="cam",
        help="class activation map variant, or SHAP values (slower; needs "
        "shap) (default: %(default)s)",
    )
    parser.add_argument(
        "--background",
        default=None,
        metavar="FILE",
        help="--method shap only: spectra (e.g. the training file; same formats "
        "as --x) whose preprocessed mean replaces the hidden segments "
        "(default: the model's training mean when it holds one, else each "
        "spectrum blurred, which can miss peaks)",
    )
    parser.add_argument(
        "--class",
        dest="target",
        default=None,
        metavar="LABEL",
        help="class to explain (default: each spectrum's most probable class)",
    )
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write the files to"
    )
    parser.add_argument(
        "--format",
        choices=("png", "html"),
        default="png",
        help="PNG (matplotlib) or standalone interactive HTML (bokeh) "
        "(default: %(default)s)",
    )
    add_resample_argument(parser)
    parser.set_defaults(run=run)
    add_check(parser, _check_options)


def _check_options(parser, args):
    if args.background is not None and args.method != "shap":
        parser.error(
            f"--background only applies to --method shap; got --method {args.method}."
        )


def _wanted_indices(args):
    if args.first is not None:
        return list(range(args.first))
    indices = args.index if args.index is not None else [0]
    return list(dict.fromkeys(indices))


def read_rows(path: str | os.PathLike[str], indices: Sequence[int]) -> np.ndarray:
    """Return the spectra at row ``indices`` of a file, read as a stream.

    Reading stops after the largest index; an index past the end of the
    file is a ValueError that gives the number of spectra in the file.
    """
    from specauth.datasets.files import iter_spectra

    wanted = np.asarray(indices, dtype=np.int64)
    rows = {}
    start = 0
    for chunk in iter_spectra(path, batch_size=1024):
        inside = wanted[(wanted >= start) & (wanted < start + len(chunk))]
        rows.update({int(i): chunk[i - start] for i in inside})
        start += len(chunk)
        if start > wanted.max():
            break
    missing = [int(i) for i in wanted if int(i) not in rows]
    if missing:
        raise ValueError(
            f"--index {missing[0]} is out of range: {path} holds {start} spectra "
            f"(indices 0..{start - 1})."
        )
    return np.stack([rows[int(i)] for i in wanted])


def background_mean(
    path: str | os.PathLike[str],
    transformers: Sequence[Any],
    *,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Mean of the spectra of a file after the model's preprocessing.

    The file is read as a stream (1024 spectra at a time), so it may be the
    whole training set.

    Parameters
    ----------
    path : str
        Spectra file, in any format ``--x`` accepts.
    transformers : list of transformers
        The model's fitted preprocessing steps, applied in order.
    shape : tuple of int, default=None
        Shape every raw spectrum must have (that of the ``--x`` spectra);
        None: not checked.

    Returns
    -------
    mean : ndarray of shape (n_points,)
        The mean preprocessed spectrum, in the space the network reads.

    Examples
    --------
    >>> import tempfile, os
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> path = os.path.join(tempfile.mkdtemp(), "bg.npy")
    >>> np.save(path, np.array([[1.0, 3.0], [1.0, 1.0]]))
    >>> background_mean(path, [SpectrumNormalizer("sum").fit([[1.0, 1.0]])])
    array([0.375, 0.625])
    """
    from specauth.datasets.files import iter_spectra

    total: np.ndarray | float = 0.0
    count = 0
    for chunk in iter_spectra(path, batch_size=1024):
        if shape is not None and chunk.shape[1:] != tuple(shape):
            raise ValueError(
                f"--background spectra have {chunk.shape[1]} points but --x "
                f"spectra have {shape[0]}; they must have the same points."
            )
        for step in transformers:
            chunk = step.transform(chunk)
        chunk = np.asarray(chunk, dtype=np.float64)
        total = total + chunk.sum(axis=0)
        count += len(chunk)
    return np.asarray(total / count)  # an array once a chunk was added


def _shap_background(args, transformers, X):
    """The SHAP reference: --background, the model's own, or the blur."""
    if args.method != "shap":
        return "blur"
    if args.background is not None:
        return background_mean(args.background, transformers, shape=X.shape[1:])
    if _standardised(transformers):
        # The network reads standardised spectra: their training mean is 0.
        return "zeros"
    print(
        "specauth explain: note: the model holds no training mean spectrum, so "
        "SHAP hides segments behind each spectrum blurred, which can miss "
        "peaks; pass --background TRAINING_SPECTRA for a better reference.",
        file=sys.stderr,
    )
    return "blur"


def _standardised(transformers):
    """Whether the last step centres each point on its training mean."""
    if not transformers:
        return False
    from sklearn.preprocessing import StandardScaler

    last = transformers[-1]
    return (
        isinstance(last, StandardScaler)
        and last.with_mean
        and getattr(last, "mean_", None) is not None
    )


def _target_class(model, label):
    """The model's class whose text is ``label`` (None stays None)."""
    if label is None:
        return None
    for known in model.classes_:
        if str(known) == label:
            return known
    raise ValueError(
        f"--class {label!r} is not a class of the model; its classes are "
        f"{[str(c) for c in model.classes_]}."
    )


def _write_png(path, spectrum, importance, title, axis, label):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specauth.explain.plots import plot_spectrum_importance

    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    plot_spectrum_importance(
        spectrum, importance, ax=ax, title=title, axis=axis, importance_label=label
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _write_html(path, spectrum, importance, title, axis, label):
    from specauth.explain.plots import bokeh_spectrum_importance, save_html

    fig = bokeh_spectrum_importance(
        spectrum, importance, title=title, axis=axis, importance_label=label
    )
    save_html(fig, path, title=title)


def _output_files(args, indices):
    """``--out/sample_<INDEX>.<FORMAT>`` per spectrum, checked against the inputs."""
    from specauth._safe_write import check_not_input
    from specauth.cli._files import check_output_folder, input_paths

    check_output_folder(args, replaced=False)
    out = Path(args.out)
    files = [out / f"sample_{index}.{args.format}" for index in indices]
    for path in files:
        check_not_input(path, input_paths(args), option="--out")
    return files


def run(args: argparse.Namespace) -> Path:
    """Explain the chosen spectra and write one file per spectrum.

    ``--out`` is checked before anything is read; every picture goes to a
    temporary file, and all of them are renamed into place only once the
    last one is drawn, so a failure adds no file to ``--out``.
    """
    from specauth._safe_write import atomic_output, new_folders
    from specauth.cli._axis import spectra_on_model_axis
    from specauth.cli._files import reading
    from specauth.cli._importance import (
        IMPORTANCE_LABELS,
        display_axis,
        display_spectrum,
        importance_maps,
        network_estimator,
        sample_title,
    )
    from specauth.cli._model import predict_outputs, split_model
    from specauth.datasets.files import read_axis
    from specauth.hub import load_pretrained

    indices = _wanted_indices(args)
    files = _output_files(args, indices)
    with reading("--x", args.x):
        X = read_rows(args.x, indices)
        file_axis = read_axis(args.x)
    with reading("MODEL_DIR", args.model):
        model = load_pretrained(args.model)
    X = spectra_on_model_axis(
        model, X, file_axis, resample=getattr(args, "resample", False), path=args.x
    )
    transformers, final = split_model(model)
    network_estimator(final, args.model)
    target = _target_class(model, args.target)
    outputs = predict_outputs(model, X)
    Xt = np.asarray(outputs["Xt"])
    with reading("--background", args.background):
        background = _shap_background(args, transformers, X)
    maps = importance_maps(final, Xt, target, method=args.method, background=background)
    classes = list(model.classes_)
    write = _write_png if args.format == "png" else _write_html
    axis = display_axis(model, maps.shape[-1])
    label = IMPORTANCE_LABELS[args.method]
    with new_folders(args.out), contextlib.ExitStack() as stack:
        for row, index in enumerate(indices):
            proba = outputs["proba"][row]
            explained = target if target is not None else classes[np.argmax(proba)]
            title = sample_title(
                index, outputs["labels"][row], proba, classes, explained
            )
            temporary = stack.enter_context(atomic_output(files[row]))
            spectrum = display_spectrum(X[row], Xt[row], model)
            write(temporary, spectrum, maps[row], title, axis, label)
    out = Path(args.out)
    print(
        f"wrote {len(indices)} {args.format.upper()} explanation(s) "
        f"({args.method}) to {out}",
        file=sys.stderr,
    )
    return out

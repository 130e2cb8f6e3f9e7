"""The PGAA gamma-ray spectra of Mahynski, Monroe, Sheen et al. (2023).

325 prompt gamma-ray activation analysis spectra of 13 materials, 4056 energy
bins from about 112 to 11729 keV. The authors' open-set protocol treats
Zircaloy, Phosphate Rock and Carbon Powder (:data:`PGAA_UNKNOWN_CLASSES`) as
unknown materials that are never trained on, and splits the other 10 classes
80/20, stratified, with ``random_state=42``; :func:`pgaa_open_set_split` does
that. Their CNN work keeps the first :data:`PGAA_CNN_BINS` = 2631 bins (up to
about 7650 keV), normalises each spectrum to sum 1 and takes
``log(clip(x, 1e-7))``.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from ._download import cache_dir, download_files
from ._pgaa_files import CSV_NAMES, NPZ_NAME, has_csvs, read_csv_dir, read_npz

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    from numpy.typing import ArrayLike

__all__ = [
    "PGAA_CNN_BINS",
    "PGAA_UNKNOWN_CLASSES",
    "PGAA_URL",
    "load_pgaa",
    "pgaa_open_set_split",
]

#: Where the authors publish ``X.csv``, ``y.csv`` and ``centers.csv`` (raw
#: GitHub files of https://github.com/mahynski/pgaa-material-authentication,
#: the URLs ``pychemauth.datasets.load_pgaa`` reads). Override it with the
#: ``SPECAUTH_PGAA_URL`` environment variable (e.g. for a local mirror).
PGAA_URL = (
    "https://raw.githubusercontent.com/mahynski/pgaa-material-authentication/"
    "master/data/raw/"
)
#: The classes held out as unknown materials in the authors' open-set protocol.
PGAA_UNKNOWN_CLASSES = ("Zircaloy", "Phosphate Rock", "Carbon Powder")
#: Number of leading energy bins (up to about 7650 keV) the authors' CNNs use.
PGAA_CNN_BINS = 2631

_CITATION = (
    'Mahynski, N.A., Monroe, J.I., Sheen, D.A. et al., "Classification and '
    'authentication of materials using prompt gamma ray activation analysis", '
    "J Radioanal Nucl Chem 332, 3259-3271 (2023), doi:10.1007/s10967-023-09024-x"
)
_DESCR = f"""PGAA gamma-ray spectra
======================

Prompt gamma-ray activation analysis spectra of 13 materials (NIST), binned on
a common energy axis (``energies``, keV). Rows of ``data`` are spectra, ``target``
holds the material names. Spectra in ``pgaa.npz`` are counts; the authors'
published CSVs are documented as normalised to sum 1. Normalise each row
before modelling (normalising twice changes nothing).

Open-set protocol: {", ".join(PGAA_UNKNOWN_CLASSES)} are unknown classes; the
other 10 are split 80/20, stratified, random_state=42 (pgaa_open_set_split).
CNN work uses the first {PGAA_CNN_BINS} bins (up to ~7650 keV), row-normalised,
then log(clip(x, 1e-7)).

Please cite: {_CITATION}.
"""


def _resolve_path(path):
    """Return ``(kind, location)`` for an explicit ``path``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be None, a str or a path-like; got {type(path).__name__}."
        )
    location = Path(path).expanduser()
    if location.is_file():
        if location.suffix.lower() != ".npz":
            raise ValueError(
                f"`path` must be a .npz file or a folder holding {NPZ_NAME} or "
                f"{', '.join(CSV_NAMES)}; got the file {location}."
            )
        return "npz", location
    if location.is_dir():
        if (location / NPZ_NAME).is_file():
            return "npz", location / NPZ_NAME
        if has_csvs(location):
            return "csv", location
        missing = [n for n in CSV_NAMES if not (location / n).is_file()]
        raise FileNotFoundError(
            f"{location} holds neither {NPZ_NAME} nor the CSV files "
            f"{', '.join(CSV_NAMES)} (missing: {', '.join(missing)})."
        )
    raise FileNotFoundError(f"PGAA data not found: {location} does not exist.")


def _default_candidates():
    candidates = []
    root = os.environ.get("SPECAUTH_DATA")
    if root:
        root = Path(root).expanduser()
        candidates += [
            ("npz", root / NPZ_NAME),
            ("npz", root / "pgaa" / NPZ_NAME),
            ("csv", root / "pgaa"),
        ]
    cache = cache_dir("pgaa")
    return [*candidates, ("npz", cache / NPZ_NAME), ("csv", cache)]


def _find_default(download, timeout):
    """Look in ``$SPECAUTH_DATA`` and the cache, then download into the cache."""
    candidates = _default_candidates()
    for kind, location in candidates:
        if (kind == "npz" and location.is_file()) or (
            kind == "csv" and has_csvs(location)
        ):
            return kind, location
    looked = "; ".join(
        str(loc) if kind == "npz" else f"{loc}/{{{','.join(CSV_NAMES)}}}"
        for kind, loc in candidates
    )
    fix = (
        "pass `path=` (a pgaa.npz file, or a folder holding it or X.csv, y.csv "
        "and centers.csv) or set the SPECAUTH_DATA environment variable to a "
        "folder holding pgaa.npz or pgaa/pgaa.npz"
    )
    if not download:
        raise FileNotFoundError(
            f"PGAA data not found (looked in: {looked}) and download=False. To "
            f"fix it, {fix}, or use download=True."
        )
    url = os.environ.get("SPECAUTH_PGAA_URL") or PGAA_URL
    cache = candidates[-1][1]
    try:
        download_files(url, CSV_NAMES, cache, timeout=timeout)
    except ConnectionError as err:
        raise ConnectionError(
            f"PGAA data not found (looked in: {looked}) and the download from "
            f"{url} into {cache} failed: {err}. To fix it, {fix}; or set "
            "SPECAUTH_PGAA_URL to a reachable copy of the files."
        ) from err
    return "csv", cache


def _check_crop(crop):
    if crop is None:
        return None
    if (
        not isinstance(crop, (tuple, list, np.ndarray))
        or len(crop) != 2
        or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in crop
        )
    ):
        raise TypeError(
            f"`crop` must be None or a pair of numbers (emin, emax) in keV; got "
            f"{crop!r}."
        )
    emin, emax = float(crop[0]), float(crop[1])
    if not emin <= emax:
        raise ValueError(f"`crop` must satisfy emin <= emax; got {crop!r}.")
    return emin, emax


def _check_timeout(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"`timeout` must be a number of seconds > 0; got {timeout!r}.")
    if not timeout > 0:
        raise ValueError(f"`timeout` must be a number of seconds > 0; got {timeout}.")


@overload
def load_pgaa(
    path: str | os.PathLike[str] | None = ...,
    *,
    return_X_y: Literal[False] = ...,
    crop: tuple[float, float] | None = ...,
    download: bool = ...,
    timeout: float = ...,
) -> Bunch: ...
@overload
def load_pgaa(
    path: str | os.PathLike[str] | None = ...,
    *,
    return_X_y: Literal[True],
    crop: tuple[float, float] | None = ...,
    download: bool = ...,
    timeout: float = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def load_pgaa(
    path: str | os.PathLike[str] | None = ...,
    *,
    return_X_y: bool,
    crop: tuple[float, float] | None = ...,
    download: bool = ...,
    timeout: float = ...,
) -> Bunch | tuple[np.ndarray, np.ndarray]: ...
def load_pgaa(
    path: str | os.PathLike[str] | None = None,
    *,
    return_X_y: bool = False,
    crop: tuple[float, float] | None = None,
    download: bool = True,
    timeout: float = 30,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load the PGAA gamma-ray spectra (325 spectra, 13 materials, 4056 bins).

    Parameters
    ----------
    path : str or path-like, default=None
        A ``pgaa.npz`` file (arrays ``X``, ``y``, ``centers`` and optionally
        ``files``), or a folder holding ``pgaa.npz`` or the authors' CSV files
        ``X.csv`` (one spectrum per row), ``y.csv`` (one label per line) and
        ``centers.csv`` (one bin energy per line); a header line in each CSV
        (as pandas writes) is detected and skipped. With ``None`` the data is
        looked for in ``$SPECAUTH_DATA`` (``pgaa.npz``, ``pgaa/pgaa.npz``, or
        the CSVs in ``pgaa/``), then in the cache folder
        (``$XDG_CACHE_HOME/specauth/pgaa`` or ``~/.cache/specauth/pgaa``),
        and is otherwise downloaded into the cache.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    crop : tuple of (float, float), default=None
        Keep only the bins with ``emin <= energy <= emax`` (keV).
    download : bool, default=True
        Download the CSV files from :data:`PGAA_URL` (or the URL in the
        ``SPECAUTH_PGAA_URL`` environment variable) when no local copy is
        found.
    timeout : float, default=30
        Seconds to wait for the server during a download.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (ndarray of shape (n_samples, n_bins), float32),
        ``target`` (ndarray of shape (n_samples,), str), ``energies``
        (ndarray of shape (n_bins,), float32, keV), ``target_names`` (the
        sorted class names), ``files`` (the raw file of each spectrum, when
        the source records it), ``source`` (the file or folder read) and
        ``DESCR``.
    (data, target) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If an explicit ``path`` does not exist or lacks the files, or if no
        local copy is found and ``download=False``.
    ConnectionError
        If no local copy is found and the download fails (for instance
        offline); the message lists where the data was looked for and how to
        point specauth at a copy.
    ValueError
        If a file is malformed (missing arrays, non-numeric values, lengths
        that do not match), or ``crop`` keeps no bin.

    See Also
    --------
    pgaa_open_set_split : The authors' train / test / unknown split.

    Notes
    -----
    ``pgaa.npz`` holds counts; the authors' CSVs are documented as normalised
    to sum 1 (their pychemauth package says so).
    The authors' CNNs use the first :data:`PGAA_CNN_BINS` bins, each row
    normalised to sum 1 and then ``log(clip(x, 1e-7))``.

    References
    ----------
    .. [1] Mahynski, N.A., Monroe, J.I., Sheen, D.A. et al., "Classification
       and authentication of materials using prompt gamma ray activation
       analysis", J Radioanal Nucl Chem 332, 3259-3271 (2023),
       https://doi.org/10.1007/s10967-023-09024-x

    Examples
    --------
    >>> data = load_pgaa()  # doctest: +SKIP

    A folder in the authors' CSV layout:

    >>> import tempfile, pathlib, shutil
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.savetxt(folder / "X.csv", [[1, 2, 3], [4, 5, 6]], delimiter=",")
    >>> _ = (folder / "y.csv").write_text("Steel\\nConcrete\\n")
    >>> np.savetxt(folder / "centers.csv", [100.0, 200.0, 300.0])
    >>> data = load_pgaa(folder, crop=(150, 300))
    >>> data.data
    array([[2., 3.],
           [5., 6.]], dtype=float32)
    >>> data.target_names.tolist()
    ['Concrete', 'Steel']
    >>> shutil.rmtree(folder)
    """
    bounds = _check_crop(crop)
    _check_timeout(timeout)
    if path is None:
        kind, location = _find_default(download, timeout)
    else:
        kind, location = _resolve_path(path)
    raw = read_npz(location) if kind == "npz" else read_csv_dir(location)
    X = raw["X"].astype(np.float32)
    energies = raw["centers"].astype(np.float32)
    if bounds is not None:
        keep = (energies >= bounds[0]) & (energies <= bounds[1])
        if not keep.any():
            raise ValueError(
                f"`crop`={crop!r} keeps no energy bin; the data spans "
                f"{energies.min():.1f} to {energies.max():.1f} keV."
            )
        X, energies = X[:, keep], energies[keep]
    y = raw["y"]
    if return_X_y:
        return X, y
    bunch = Bunch(
        data=X,
        target=y,
        energies=energies,
        target_names=np.unique(y),
        source=str(location),
        DESCR=_DESCR,
    )
    if "files" in raw:
        bunch["files"] = raw["files"]
    return bunch


def pgaa_open_set_split(
    X: ArrayLike,
    y: ArrayLike,
    *,
    unknown_classes: str | Sequence[str] = PGAA_UNKNOWN_CLASSES,
    test_size: float = 0.2,
    random_state: int | np.random.RandomState | None = 42,
) -> Bunch:
    """Split spectra into known train / test sets and unknown-class spectra.

    The samples of ``unknown_classes`` are set aside; the others are split
    with :func:`sklearn.model_selection.train_test_split`, stratified by
    class. With the PGAA data and the defaults this is the authors' protocol:
    243 training, 61 test and 21 unknown spectra.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Spectra (or images); never modified.
    y : array-like of shape (n_samples,)
        Class labels.
    unknown_classes : str or sequence of str, default=PGAA_UNKNOWN_CLASSES
        Classes never trained on. Each must occur in ``y``.
    test_size : float or int, default=0.2
        Fraction (or number) of the known samples in the test set.
    random_state : int, RandomState instance or None, default=42
        Seed of the shuffle.

    Returns
    -------
    split : :class:`~sklearn.utils.Bunch`
        With ``X_train``, ``X_test``, ``y_train``, ``y_test``, ``X_unknown``,
        ``y_unknown``, ``known_classes`` (sorted) and ``unknown_classes``.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length, ``y`` is not 1D, or an unknown
        class does not occur in ``y``.

    See Also
    --------
    load_pgaa : Load the PGAA spectra.

    Examples
    --------
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> y = np.array(["a"] * 4 + ["b"] * 4 + ["Zircaloy"] * 2)
    >>> split = pgaa_open_set_split(X, y, unknown_classes="Zircaloy", test_size=0.5)
    >>> split.X_train.shape, split.X_test.shape, split.X_unknown.shape
    ((4, 2), (4, 2), (2, 2))
    >>> split.known_classes.tolist()
    ['a', 'b']
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"`y` must be 1D (one label per sample); got shape {y.shape}.")
    if X.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"`X` and `y` must hold the same number of samples; got X of shape "
            f"{X.shape} and {y.shape[0]} labels."
        )
    unknown = (
        (unknown_classes,)
        if isinstance(unknown_classes, str)
        else tuple(unknown_classes)
    )
    present = set(y.tolist())
    missing = [c for c in unknown if c not in present]
    if missing:
        raise ValueError(
            f"`unknown_classes` must be classes of `y`; {missing} do not occur. "
            f"Classes in `y`: {sorted(present, key=str)}."
        )
    unknown_set = set(unknown)
    is_unknown = np.array([label in unknown_set for label in y.tolist()], bool)
    X_train, X_test, y_train, y_test = train_test_split(
        X[~is_unknown],
        y[~is_unknown],
        test_size=test_size,
        random_state=random_state,
        stratify=y[~is_unknown],
    )
    return Bunch(
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        X_unknown=X[is_unknown],
        y_unknown=y[is_unknown],
        known_classes=np.unique(y[~is_unknown]),
        unknown_classes=unknown,
    )

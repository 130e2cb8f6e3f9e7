"""Push fitted estimators to, and pull them from, the Hugging Face Hub.

A model repository holds exactly the folder written by
:func:`~specauth.hub.save_pretrained` (``config.json``, ``arrays.npz``,
``network.keras``): no pickle, and :func:`pull_from_hub` loads it with
:func:`~specauth.hub.load_pretrained`, which accepts only specauth classes and
loads the network in Keras' safe mode.

``huggingface_hub`` is an optional dependency (``pip install specauth[hub]``),
imported only when a function here is called. The Hub address is, in order,
the ``endpoint`` argument, the ``HF_ENDPOINT`` environment variable (read at
call time) and ``https://huggingface.co``.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from huggingface_hub import CommitInfo
    from sklearn.base import BaseEstimator

__all__ = ["push_to_hub", "pull_from_hub"]

# The Hub's naming rules: letters, digits, "-", "_", "."; no leading or
# trailing "-"/"."; no "--" or ".."; at most 96 characters per part.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
_PACKAGE = "specauth[hub]"
# The files of a saved model folder (see specauth.hub.pretrained).
_MODEL_FILES = (
    "config.json",
    "arrays.npz",
    "network.keras",
    "network_*.keras",
    "README.md",
)
_PURPOSE = "share models on the Hugging Face Hub"


def _check_repo_id(repo_id):
    if not isinstance(repo_id, str):
        raise TypeError(
            "`repo_id` must be a string 'namespace/name'; "
            f"got {type(repo_id).__name__}: {repo_id!r}."
        )
    parts = repo_id.split("/")
    valid = len(parts) == 2 and all(
        _NAME.fullmatch(part) and "--" not in part and ".." not in part
        for part in parts
    )
    if not valid:
        raise ValueError(
            "`repo_id` must be 'namespace/name' (letters, digits, '-', '_', '.'; "
            "no '--' or '..'; at most 96 characters each), e.g. "
            f"'my-lab/pgaa-cnn'; got {repo_id!r}."
        )


def _check_optional_str(value, name):
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise TypeError(f"`{name}` must be None or a non-empty string; got {value!r}.")


def _check_flag(value, name, allow_none=False):
    if not (isinstance(value, bool) or (allow_none and value is None)):
        expected = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"`{name}` must be {expected}; got {value!r}.")


def _check_token(token):
    if token is not None and not isinstance(token, (str, bool)):
        raise TypeError(
            "`token` must be None (use the saved login or HF_TOKEN), a string, "
            f"or False (send none); got {type(token).__name__}."
        )


def _resolve_endpoint(endpoint):
    _check_optional_str(endpoint, "endpoint")
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or None
    if endpoint is None:
        return None
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(
            "`endpoint` (or HF_ENDPOINT) must be an http(s) URL such as "
            f"'https://huggingface.co'; got {endpoint!r}."
        )
    return endpoint.rstrip("/")


def _import_hub():
    from specauth._lazy import import_optional

    hub = import_optional("huggingface_hub", package=_PACKAGE, purpose=_PURPOSE)
    errors = import_optional("huggingface_hub.errors", package=_PACKAGE)
    return hub, errors


@contextmanager
def _hub_errors(errors, repo_id, revision, where):
    """Turn huggingface_hub's errors into messages naming repo and revision."""
    try:
        yield
    except errors.RevisionNotFoundError as err:
        raise ValueError(
            f"Revision {revision!r} was not found in repository {repo_id!r} on "
            f"{where}: pass an existing branch, tag or full commit id as "
            "`revision`."
        ) from err
    except errors.RepositoryNotFoundError as err:
        raise ValueError(
            f"Repository {repo_id!r} was not found on {where}: check `repo_id`, "
            "or, if the repository is private, pass a `token` that can read it."
        ) from err
    except errors.HfHubHTTPError as err:
        status = getattr(err.response, "status_code", None)
        if status in (401, 403):
            raise ValueError(
                f"{where} refused access to {repo_id!r} (HTTP {status}): pass a "
                "`token` with write access to this namespace."
            ) from err
        if status == 409:
            raise ValueError(
                f"Repository {repo_id!r} already exists on {where}; pass "
                "`exist_ok=True` to add a commit to it."
            ) from err
        raise


def _folder_to_upload(estimator, scratch, metrics, dataset):
    """Return the saved-model folder: the given one, or a fresh save."""
    from specauth.hub.pretrained import save_pretrained

    if isinstance(estimator, (str, os.PathLike)):
        folder = Path(estimator)
        if not (folder / "config.json").is_file():
            raise ValueError(
                "`estimator` must be a fitted estimator or a folder written by "
                f"save_pretrained; {str(folder)!r} has no config.json."
            )
        if metrics is not None or dataset is not None:
            raise ValueError(
                "`metrics` and `dataset` go into the model card written by "
                "save_pretrained; pass them there, not with an already saved "
                f"folder ({str(folder)!r})."
            )
        return folder, "model"
    folder = save_pretrained(
        estimator, Path(scratch) / "model", metrics=metrics, dataset=dataset
    )
    return folder, type(estimator).__name__


def push_to_hub(
    estimator: BaseEstimator | str | os.PathLike[str],
    repo_id: str,
    *,
    private: bool | None = None,
    token: str | bool | None = None,
    commit_message: str | None = None,
    revision: str | None = None,
    create_pr: bool = False,
    endpoint: str | None = None,
    exist_ok: bool = True,
    metrics: Mapping[str, float] | None = None,
    dataset: str | None = None,
) -> CommitInfo:
    """Save a fitted estimator and upload it to a Hugging Face Hub model repo.

    The repository is created if needed, then the folder written by
    :func:`~specauth.hub.save_pretrained` is uploaded as one commit (files
    that did not change are skipped, so pushing the same model twice adds no
    commit).

    Parameters
    ----------
    estimator : estimator, Pipeline or path-like
        A fitted specauth estimator or ``Pipeline`` (saved into a temporary
        folder first), or a folder already written by ``save_pretrained``
        (uploaded as it is, with any extra file such as a README).
    repo_id : str
        ``"namespace/name"``: a user or organisation and the repository name.
    private : bool, default=None
        Make a new repository private. ``None`` follows the namespace's
        default (public for users). Ignored when the repository exists.
    token : str or bool, default=None
        Hub access token with write access. ``None`` uses ``HF_TOKEN`` or the
        token saved by ``hf auth login``; ``False`` sends none.
    commit_message : str, default=None
        Summary of the commit; ``None`` gives ``"Upload <Class> with
        specauth"``.
    revision : str, default=None
        Existing branch to commit to; ``None`` is ``"main"``.
    create_pr : bool, default=False
        Open a pull request against ``main`` instead of committing to it
        (``revision`` must then be ``None`` or ``"main"``).
    endpoint : str, default=None
        Hub URL; ``None`` uses ``HF_ENDPOINT`` or ``https://huggingface.co``.
    exist_ok : bool, default=True
        If False, raise when the repository already exists.
    metrics : dict, default=None
        Figures of merit for the model card, as in
        :func:`~specauth.hub.save_pretrained` (e.g. ``{"accuracy": 0.98,
        "auroc": 0.95}``); the Hub shows them on the model page. Only with a
        fitted estimator, not a saved folder.
    dataset : str, default=None
        Name of the training data set, for the model card.

    Returns
    -------
    commit : huggingface_hub.CommitInfo
        A string holding the commit URL, with ``oid`` (the commit id, to pin
        with ``pull_from_hub(..., revision=commit.oid)``), ``commit_url`` and,
        with ``create_pr=True``, ``pr_url`` and ``pr_revision``.

    Raises
    ------
    ValueError
        If ``repo_id`` is malformed, the repository or ``revision`` is not
        found, the token is refused, or it exists and ``exist_ok=False``.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted (raised before any network call).

    See Also
    --------
    pull_from_hub : download and load a pushed model.
    save_pretrained : the folder format that is uploaded.

    Examples
    --------
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> norm = SpectrumNormalizer().fit([[1.0, 3.0]])
    >>> commit = push_to_hub(norm, "my-lab/normalizer", private=True)  # doctest: +SKIP
    >>> commit.oid  # doctest: +SKIP
    '3f0c...'
    >>> push_to_hub(norm, "no-namespace")
    Traceback (most recent call last):
    ...
    ValueError: `repo_id` must be 'namespace/name' ...
    """
    _check_repo_id(repo_id)
    _check_token(token)
    _check_optional_str(commit_message, "commit_message")
    _check_optional_str(revision, "revision")
    _check_flag(private, "private", allow_none=True)
    _check_flag(create_pr, "create_pr")
    _check_flag(exist_ok, "exist_ok")
    if create_pr and revision not in (None, "main"):
        raise ValueError(
            "`create_pr=True` opens a pull request against 'main'; `revision` "
            f"must then be None or 'main'; got {revision!r}."
        )
    endpoint = _resolve_endpoint(endpoint)
    with tempfile.TemporaryDirectory(prefix="specauth-hub-") as scratch:
        folder, name = _folder_to_upload(estimator, scratch, metrics, dataset)
        hub, errors = _import_hub()
        api = hub.HfApi(endpoint=endpoint, token=token)
        with _hub_errors(errors, repo_id, revision or "main", api.endpoint):
            api.create_repo(
                repo_id, private=private, exist_ok=exist_ok, repo_type="model"
            )
            return api.upload_folder(
                repo_id=repo_id,
                folder_path=folder,
                repo_type="model",
                revision=revision,
                create_pr=create_pr,
                commit_message=commit_message or f"Upload {name} with specauth",
            )


def pull_from_hub(
    repo_id: str,
    *,
    revision: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    token: str | bool | None = None,
    endpoint: str | None = None,
    local_files_only: bool = False,
    local_dir: str | os.PathLike[str] | None = None,
) -> BaseEstimator:
    """Download a model pushed with :func:`push_to_hub` and load it.

    Only the files a model folder consists of are downloaded
    (``config.json``, ``arrays.npz``, ``network.keras``, ``network_<n>.keras``
    and the model card ``README.md``); anything else in the repository is
    left on the Hub. Files go to the Hugging Face cache (shared with other
    libraries); a revision already downloaded is not fetched again. Nothing
    is unpickled: see :func:`~specauth.hub.load_pretrained`.

    Parameters
    ----------
    repo_id : str
        ``"namespace/name"`` of the model repository.
    revision : str, default=None
        Branch, tag or full commit id to load; ``None`` is ``"main"``. A
        commit id pins the exact model, whatever is pushed later.
    cache_dir : str or path-like, default=None
        Cache folder; ``None`` uses ``HF_HUB_CACHE`` (``~/.cache/huggingface/hub``).
    token : str or bool, default=None
        Token for private repositories; ``None`` uses ``HF_TOKEN`` or the
        saved login; ``False`` sends none.
    endpoint : str, default=None
        Hub URL; ``None`` uses ``HF_ENDPOINT`` or ``https://huggingface.co``.
    local_files_only : bool, default=False
        Load from the cache only, without any network call.
    local_dir : str or path-like, default=None
        Also copy the downloaded folder (config, arrays, network, model card)
        here, as a folder that :func:`~specauth.hub.load_pretrained` and
        ``specauth predict`` read. It must be new, empty or hold a specauth
        model (whose parts are replaced; other files are kept).

    Returns
    -------
    estimator : estimator or sklearn.pipeline.Pipeline
        The fitted model, ready to ``predict``.

    Raises
    ------
    ValueError
        If ``repo_id`` is malformed, the repository (or access to it) or
        ``revision`` is not found, the repository holds no ``config.json``,
        ``local_files_only=True`` and the revision is not cached, a file is
        damaged (see :func:`~specauth.hub.load_pretrained`), or ``local_dir``
        is a non-empty folder that holds no specauth model.
    ConnectionError
        If the Hub cannot be reached and no cached copy exists.

    See Also
    --------
    push_to_hub : upload a fitted model.
    load_pretrained : load a local folder.

    Examples
    --------
    >>> model = pull_from_hub("my-lab/normalizer", revision="main")  # doctest: +SKIP
    >>> pull_from_hub("my-lab/bad--name")
    Traceback (most recent call last):
    ...
    ValueError: `repo_id` must be 'namespace/name' ...
    """
    from specauth.hub._folder_write import copy_parts, previous_parts
    from specauth.hub.pretrained import load_pretrained

    _check_repo_id(repo_id)
    _check_optional_str(revision, "revision")
    _check_token(token)
    _check_flag(local_files_only, "local_files_only")
    for name, value in (("cache_dir", cache_dir), ("local_dir", local_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(
                f"`{name}` must be None or a path; got {type(value).__name__}."
            )
    if local_dir is not None:  # refused before anything is downloaded
        previous = previous_parts(
            Path(local_dir), overwrite=False, argument="local_dir"
        )
    endpoint = _resolve_endpoint(endpoint)
    where = endpoint or "the Hugging Face Hub"
    hub, errors = _import_hub()
    with _hub_errors(errors, repo_id, revision or "main", where):
        folder = _download(
            hub, errors, repo_id, revision, cache_dir, token, endpoint, local_files_only
        )
    if not (Path(folder) / "config.json").is_file():
        raise ValueError(
            f"Repository {repo_id!r} at revision {revision or 'main'!r} holds no "
            "config.json: it is not a specauth model (upload one with "
            "push_to_hub)."
        )
    model = load_pretrained(folder)
    if local_dir is not None:
        copy_parts(Path(folder), Path(local_dir), previous)
    return model


def _download(hub, errors, repo_id, revision, cache_dir, token, endpoint, offline):
    try:
        return hub.snapshot_download(
            repo_id,
            repo_type="model",
            revision=revision,
            cache_dir=cache_dir,
            token=token,
            endpoint=endpoint,
            local_files_only=offline,
            allow_patterns=list(_MODEL_FILES),
        )
    except errors.LocalEntryNotFoundError as err:
        what = f"{repo_id!r} at revision {revision or 'main'!r}"
        if offline:
            raise ValueError(
                f"{what} is not in the local cache; pull it once with "
                "`local_files_only=False`."
            ) from err
        raise ConnectionError(
            f"Could not reach {endpoint or 'the Hugging Face Hub'} to download "
            f"{what}, and no copy is cached: {err}"
        ) from err

"""Putting a model folder's parts in place without losing anyone's files.

:func:`~specauth.hub.save_pretrained` and ``pull_from_hub(local_dir=...)``
write the parts of a model (``config.json``, ``arrays.npz``, ``README.md``,
``network.keras``, ``network_1.keras``, ...) into a temporary sibling folder
first and then move them into the target, ``config.json`` last, so a save that
fails leaves the previous content as it was. In the target:

- a folder that is not empty and holds no specauth model (no readable
  ``config.json`` with a format version) is refused, unless ``overwrite=True``;
- only the files the new model consists of are replaced;
- a part of the previous model that the new one does not have is removed only
  if the previous model's own ``config.json`` names it (a ``network_<n>.keras``
  it recorded); every other file stays.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from specauth.hub._folder_checks import read_json_file

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "MODEL_PART",
    "copy_parts",
    "place_parts",
    "previous_parts",
    "scratch_folder",
]

MODEL_PART = re.compile(r"config\.json|arrays\.npz|README\.md|network(_[0-9]+)?\.keras")
_NETWORK = re.compile(r"network(_[0-9]+)?\.keras")


def _recorded_networks(config):
    """Network files named in a saved config (its manifest and its nodes)."""
    names = set()
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            network = item.get("__network__")
            if isinstance(network, str) and _NETWORK.fullmatch(network):
                names.add(network)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    files = config.get("files")
    if isinstance(files, dict):
        names |= {name for name in files if _NETWORK.fullmatch(str(name))}
    return names


def _recorded_parts(folder):
    """Parts of the specauth model saved in ``folder``; None if there is none."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        return None
    try:
        config = read_json_file(config_file)
    except (ValueError, OSError):
        return None
    version = config.get("format_version") if isinstance(config, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return None
    return {"config.json", "arrays.npz", "README.md"} | _recorded_networks(config)


def previous_parts(
    target: Path, *, overwrite: bool, argument: str = "directory"
) -> set[str]:
    """Names of the previous model's parts in ``target`` (empty if none).

    Raises a ValueError naming ``argument`` if ``target`` is a file, or a
    folder that is not empty and holds no specauth model while ``overwrite``
    is False.
    """
    if not target.exists():
        return set()
    if not target.is_dir():
        raise ValueError(f"`{argument}` {str(target)!r} is a file, not a folder.")
    names = sorted(path.name for path in target.iterdir())
    if not names:
        return set()
    recorded = _recorded_parts(target)
    if recorded is not None:
        return recorded
    if overwrite:
        return set()
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    fix = (
        "pass overwrite=True to write the model's files into it (files it does "
        "not write are kept), or choose"
        if argument == "directory"
        else "choose"
    )
    raise ValueError(
        f"`{argument}` {str(target)!r} is not empty and holds no specauth model "
        f"(it has {shown}); {fix} an empty or new folder."
    )


@contextmanager
def scratch_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` (same file system), removed after."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f".{target.name}-", suffix=".saving", dir=target.parent
    ) as scratch:
        yield Path(scratch)


def place_parts(
    scratch: Path, target: Path, written: Iterable[str], previous: set[str]
) -> None:
    """Move ``written`` parts from ``scratch`` into ``target``, then remove the
    previous model's recorded networks that the new one does not have."""
    written = sorted(written, key=lambda name: name == "config.json")
    target.mkdir(parents=True, exist_ok=True)
    for name in written:
        os.replace(scratch / name, target / name)
    for name in previous - set(written):
        if _NETWORK.fullmatch(name):
            (target / name).unlink(missing_ok=True)


def copy_parts(source: Path, target: Path, previous: set[str]) -> None:
    """Copy the model parts of ``source`` (links followed) into ``target``."""
    parts = [p.name for p in source.iterdir() if MODEL_PART.fullmatch(p.name)]
    with scratch_folder(target) as scratch:
        for name in parts:
            shutil.copyfile(source / name, scratch / name)
        place_parts(scratch, target, parts, previous)

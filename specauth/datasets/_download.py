"""Cache folder and file download for the data sets (standard library only)."""

from __future__ import annotations

import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["cache_dir", "download_files"]


def cache_dir(name: str) -> Path:
    """Return ``$XDG_CACHE_HOME/specauth/<name>`` or ``~/.cache/specauth/<name>``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(root).expanduser() / "specauth" / name


def _fetch(url, destination, timeout):
    """Stream ``url`` into the open binary file ``destination``."""
    request = urllib.request.Request(url, headers={"User-Agent": "specauth"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        shutil.copyfileobj(response, destination)


def _describe(err):
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP error {err.code} ({err.reason})"
    return getattr(err, "reason", None) or err


def download_files(
    base_url: str,
    names: Sequence[str],
    folder: str | os.PathLike[str],
    *,
    timeout: float,
) -> list[Path]:
    """Download ``base_url + name`` for each name into ``folder``.

    Each file is written to a temporary file in ``folder`` and renamed into
    place only after all of them arrived, so an interrupted download never
    leaves a partial data set behind.

    Raises
    ------
    ConnectionError
        If any download fails; the message names the URL and the reason.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {}
    try:
        for name in names:
            url = base + name
            with tempfile.NamedTemporaryFile(
                dir=folder, prefix=f".{name}.", suffix=".part", delete=False
            ) as handle:
                parts[name] = Path(handle.name)
                try:
                    _fetch(url, handle, timeout)
                except (OSError, ValueError, http.client.HTTPException) as err:
                    reason = _describe(err)
                    raise ConnectionError(
                        f"could not download {url}: {reason}"
                    ) from err
        for name, part in parts.items():
            os.replace(part, folder / name)
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
    return [folder / name for name in names]

"""Plain-text tables printed by the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["format_confusion_matrix"]


def format_confusion_matrix(
    matrix: ArrayLike,
    labels: Sequence[object],
    *,
    rows: Sequence[object] | None = None,
    max_label: int = 14,
) -> str:
    """Return a confusion matrix as an aligned text table.

    Rows are true classes (``rows``, default ``labels``), columns predicted
    classes (``labels``), so an open-set matrix can have an extra "unknown"
    column and extra rows for never-trained classes.

    Examples
    --------
    >>> print(format_confusion_matrix([[2, 0], [1, 3]], ["a", "b"]))
    true \\ pred  a  b
               a  2  0
               b  1  3
    """
    matrix = np.asarray(matrix)
    names = [str(label)[:max_label] for label in labels]
    row_names = names if rows is None else [str(r)[:max_label] for r in rows]
    width = max([len(n) for n in names] + [len(str(matrix.max()))])
    corner = "true \\ pred"
    first = max([len(corner)] + [len(n) for n in row_names])
    lines = [corner.rjust(first) + "".join(f"  {n:>{width}}" for n in names)]
    for name, row in zip(row_names, matrix, strict=True):
        cells = "".join(f"  {int(v):>{width}}" for v in row)
        lines.append(name.rjust(first) + cells)
    return "\n".join(lines)

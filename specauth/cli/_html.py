"""Self-contained HTML pages: inline CSS, figures as base64 PNG, no scripts.

Used by ``specauth report``. Every figure is a ``<figure id="...">`` holding
an ``<img src="data:image/png;base64,...">``, so a page opens offline and a
test can find each figure by its id.
"""

from __future__ import annotations

import base64
import html
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from matplotlib.figure import Figure

__all__ = [
    "figure_html",
    "markdown_html",
    "page_html",
    "png_bytes",
    "section_html",
    "table_html",
]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { border-bottom: 2px solid #4a6fa5; padding-bottom: .2em; }
h2 { color: #4a6fa5; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .7em; text-align: left; }
th { background: #eef2f8; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #555; }
.card { background: #f7f7f7; border-left: 4px solid #4a6fa5; padding: .5em 1em; }
.note { color: #777; font-style: italic; }
pre { white-space: pre-wrap; }
"""

_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def png_bytes(fig: Figure, *, dpi: float = 100) -> bytes:
    """Return a matplotlib figure as PNG bytes and close it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> png_bytes(plt.figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def figure_html(fig_id: str, png: bytes, caption: str = "") -> str:
    """Return ``<figure id=fig_id>`` with the PNG inlined as base64.

    Examples
    --------
    >>> figure_html("confusion-matrix", b"\\x89PNG", "counts")[:43]
    '<figure id="confusion-matrix"><img alt="cou'
    """
    if not _ID.match(fig_id):
        raise ValueError(
            f"`fig_id` must be lower-case letters, digits and '-'; got {fig_id!r}."
        )
    data = base64.b64encode(png).decode("ascii")
    text = html.escape(caption)
    return (
        f'<figure id="{fig_id}"><img alt="{text}" '
        f'src="data:image/png;base64,{data}"><figcaption>{text}</figcaption>'
        "</figure>"
    )


def table_html(
    rows: Iterable[Iterable[object]], header: Iterable[object] | None = None
) -> str:
    """Return an HTML table; every cell is escaped.

    Examples
    --------
    >>> table_html([["TEFF", 0.9]], header=["figure", "value"])
    '<table><tr><th>figure</th><th>value</th></tr><tr><td>TEFF</td><td>0.9</td></tr></table>'
    """
    parts = ["<table>"]
    if header is not None:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        parts.append(f"<tr>{cells}</tr>")
    for row in rows:
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    return "".join(parts)


def markdown_html(text: str) -> str:
    """Render Markdown minimally: headings become ``<h3>``, the rest ``<pre>``.

    A leading YAML front matter block (between ``---`` lines) is dropped.

    Examples
    --------
    >>> markdown_html("---\\nlicense: mit\\n---\\n# Model\\nSome <b>text</b>")
    '<h3>Model</h3><pre>Some &lt;b&gt;text&lt;/b&gt;</pre>'
    """
    lines = text.splitlines()
    if lines and lines[0].strip() == "---" and "---" in [s.strip() for s in lines[1:]]:
        end = [s.strip() for s in lines[1:]].index("---") + 1
        lines = lines[end + 1 :]
    parts: list[str] = []
    block: list[str] = []

    def flush() -> None:
        body = "\n".join(block).strip("\n")
        if body.strip():
            parts.append(f"<pre>{html.escape(body)}</pre>")
        block.clear()

    for line in lines:
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            flush()
            parts.append(f"<h3>{html.escape(heading.group(1).strip())}</h3>")
        else:
            block.append(line)
    flush()
    return "".join(parts)


def section_html(section_id: str, title: str, body: str) -> str:
    """Return ``<section id=...><h2>title</h2>body</section>`` (body is HTML)."""
    return f'<section id="{section_id}"><h2>{html.escape(title)}</h2>{body}</section>'


def page_html(title: str, sections: Iterable[str]) -> str:
    """Return a complete HTML document with the inline style sheet.

    Examples
    --------
    >>> page = page_html("Report", ["<p>hi</p>"])
    >>> page.startswith("<!DOCTYPE html>") and "<p>hi</p>" in page
    True
    """
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )

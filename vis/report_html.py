"""HTML building blocks of the demo report: escaping, tables in scroll boxes, figures, the page.

Every image is an `<img>` with its pixel width and height, shown at that width (never wider)
and scaled down only when the window is narrower; every table sits in a box that scrolls
sideways on a narrow screen, so the page itself never does.
"""
from __future__ import annotations

import html
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CONTENT_WIDTH_PX = 968  # body max-width 1000 px less 2 x 16 px padding: figures fit unscaled
CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--bg2:#f6f8fa}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
 max-width:1000px;margin:0 auto;padding:12px 16px 48px}
h1{font-size:1.7em;margin:.4em 0 .2em}h2{font-size:1.35em;margin:1.6em 0 .4em;
 border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.1em;margin:1.2em 0 .3em}
p,li{max-width:75ch}code{font-size:.95em;background:var(--bg2);padding:0 .25em;border-radius:3px;
 overflow-wrap:anywhere}
.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.5em .8em}
.scroll{overflow-x:auto;max-width:100%;margin:.5em 0}
table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:4px 8px;
 text-align:left;vertical-align:top;font-size:14px}th{background:var(--bg2)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;
 margin:.8em 0}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 12px;background:#fff}
.card .k{font-size:14px;color:var(--muted)}.card .v{font-size:1.45em;font-weight:600}
.card .g{font-size:14px;color:var(--muted)}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}
figure{margin:.8em 0}figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:14px;color:var(--muted);max-width:75ch}
.captions{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.cap{border:1px solid var(--line);border-radius:8px;padding:10px;display:flex;gap:10px}
.cap img{flex:none;align-self:flex-start;border:1px solid var(--line)}
.cap .t{font-size:14px;min-width:0}.cap ul{margin:.2em 0 0;padding-left:1.1em;color:var(--muted)}
.cap p{margin:0 0 .3em}
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
"""


def esc(x: Any) -> str:
    """Text made safe for HTML."""
    return html.escape(str(x))


def num(x: Any, digits: int = 3) -> str:
    """A number for a table cell: floats to `digits` decimals, 'n/a' for None."""
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return esc(x)


def pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal ('n/a' for None)."""
    return "n/a" if x is None else f"{100 * x:.1f}%"


def sci(x: Any) -> str:
    """A float in scientific notation (errors, tolerances); anything else as text."""
    return f"{x:.1e}" if isinstance(x, float) else esc(x)


def yes_no(flag: bool, yes: str = "yes", no: str = "no") -> str:
    """A boolean in words, coloured (green for `yes`, red for `no`)."""
    return f'<span class="ok">{esc(yes)}</span>' if flag else f'<span class="bad">{esc(no)}</span>'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]],
          numeric: Sequence[int] = ()) -> str:
    """A table (cells are HTML already) inside a sideways-scrolling box; `header` names every
    column (no empty headers); columns listed in `numeric` are right-aligned."""
    if not header or any(not str(h).strip() for h in header):
        raise ValueError(f"table: every column needs a header, got {list(header)}")
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if j in numeric else f"<td>{c}</td>"
                         for j, c in enumerate(row)) + "</tr>" for row in rows)
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def png_size(path: str | Path) -> tuple[int, int]:
    """(width, height) in pixels of a PNG file, read from its header."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"png_size: {path} is not a PNG file")
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def figure(base: Path, src: str, alt: str, caption: str = "") -> str:
    """A figure for the PNG `src` (relative to the report folder `base`) at its pixel size,
    linked to itself so that on a narrow screen a tap opens it full size."""
    w, h = png_size(base / src)
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (f'<figure><a class="fig" href="{esc(src)}"><img src="{esc(src)}" width="{w}" '
            f'height="{h}" alt="{esc(alt)}" loading="eager"></a>{cap}</figure>')


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Summary cards: (what, value HTML, what good looks like)."""
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{v}</div>'
        f'<div class="g">{g}</div></div>' for k, v, g in items) + "</div>"


def page(title: str, body: str) -> str:
    """The whole HTML document (language, charset, viewport, inline style; an empty icon, so
    a browser asks the server for no favicon)."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body>{body}</body></html>\n")

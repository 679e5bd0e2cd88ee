"""The demo's HTML report: `write_report` turns the demo's JSON results into report.html.

The page (sections in vis/report_sections.py and vis/report_captioning.py, building blocks in
vis/report_html.py) names every file relative to its folder, so the folder can be moved whole;
`single_file=True` embeds every image as a data: URI instead, giving one file to share.
"""
from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from vis.report_captioning import captioning_section
from vis.report_html import esc, page
from vis.report_sections import (
    parity_section,
    settings_section,
    summary_section,
    visualization_section,
)

_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')
_FIGURE_LINK = re.compile(r'<a class="fig" href="[^"]*">')


def embed_images(html_text: str, base: str | os.PathLike) -> str:
    """Replace every <img src="relative.png"> with a data: URI of the file under `base` (and
    drop the figures' links to their files, which a single file does not have)."""
    root = Path(base)

    def inline(m: re.Match[str]) -> str:
        src = m.group(2)
        if src.startswith("data:"):
            return m.group(0)
        if "://" in src or src.startswith("/") or ".." in Path(src).parts:
            raise ValueError(f"embed_images: image {src!r} is not a file inside {root}")
        data = base64.b64encode((root / src).read_bytes()).decode("ascii")
        return f"{m.group(1)}data:image/png;base64,{data}{m.group(3)}"

    return _SRC.sub(inline, _FIGURE_LINK.sub('<a class="fig">', html_text))


def _intro(single_file: bool, meta: dict) -> str:
    where = ("This file is self-contained: its figures are embedded, so it can be shared "
             "alone." if single_file else
             "This report loads its figures from the files beside it: keep its folder "
             "together (or run <code>python -m vis demo --single-file</code> for one HTML file "
             "with the figures embedded, to share).")
    cmd = meta.get("command", "make demo")
    return (f"<h1>minigrad demo report</h1><p>Everything below was computed by "
            f"<code>{esc(cmd)}</code> on this machine, from scratch: a captioning model "
            "trained on minigrad (numpy autograd), a check of minigrad's Functions against "
            "torch, and network visualizations in torch.</p>"
            f'<p class="note">{where}</p>'
            '<p><a href="#summary">Summary</a> &middot; <a href="#settings">Settings</a> '
            '&middot; <a href="#captioning">Captioning</a> &middot; <a href="#parity">Parity'
            '</a> &middot; <a href="#visualizations">Visualizations</a></p>')


def write_report(out_dir: str | os.PathLike, meta: dict, captioning: dict | None,
                 parity: dict | None, visuals: dict | None, single_file: bool = False) -> Path:
    """Write `out_dir/report.html` atomically and return its path. Image names in the dicts
    are relative to `out_dir`; `single_file` embeds the images (data: URIs)."""
    out = Path(out_dir)
    body = [_intro(single_file, meta), summary_section(meta, captioning, parity, visuals),
            settings_section(meta, captioning, visuals)]
    if captioning:
        body.append(captioning_section(out, captioning))
    if parity:
        body.append(parity_section(parity))
    if visuals:
        body.append(visualization_section(out, visuals))
    text = page("minigrad demo report", "".join(body))
    if single_file:
        text = embed_images(text, out)
    path = out / "report.html"
    tmp = out / ".report.html.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path

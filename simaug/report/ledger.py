"""The claims ledger page: one row per claim, generated from ``results/claims.json``.

``render_ledger(claims, pages)`` returns MyST markdown for ``book/claims.md``: a legend of the four
statuses, the count per status, and per chapter a ``list-table`` with one row per claim: the claim
(linking to the chapter section that discusses it) with its scale and reason beneath, the
source's value, ours (mean or difference, interval, n) and a status badge (sphinx-design's
``{bdg-…}`` roles). The reason sits under the claim rather than in a column of its own because the
book's text column is narrow. Nothing on the page is typed by hand: every number comes from the
claim dicts.

Links to sections use MyST heading anchors (``myst_heading_anchors`` in ``_config.yml``), with
the slug rule of myst-parser's ``default_slugify``: lower case, spaces to hyphens, punctuation dropped.

Example:
    >>> slugify("Results next to the paper's")
    'results-next-to-the-papers'
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import yaml

from .claims import STATUSES
from .format import fmt_interval, fmt_num

__all__ = ["render_ledger", "toc_pages", "slugify", "BADGES"]

BADGES = {"reproduced": "bdg-success", "contradicted": "bdg-danger", "below_resolution": "bdg-warning",
          "uninformative": "bdg-muted"}
LEGEND = {
    "reproduced": "our interval shows what the source says",
    "contradicted": "our interval rules out what the source says",
    "below_resolution": "our interval is compatible with the claim and with its absence: more seeds or a larger scale are needed",
    "uninformative": "a gate of the claim failed (e.g. the baseline had not reached its plateau, or the positive control "
                     "did not beat its baseline), so the experiment could not show the claim either way",
}
_SLUG_CLEAN = re.compile(r"[^\w\u4e00-\u9fff\- ]")


def slugify(title: str) -> str:
    """Heading anchor as MyST makes it (myst_parser's ``default_slugify``)."""
    return _SLUG_CLEAN.sub("", title.lower().replace(" ", "-"))


def badge(status: str) -> str:
    return f"{{{BADGES[status]}}}`{status.replace('_', ' ')}`"


def _cell(text) -> str:
    """One line of list-table cell text: no newlines, markdown emphasis characters escaped."""
    return str(text).replace("\n", " ").replace("*", "\\*").strip()


def _source(d: dict) -> str:
    v, unit = d.get("source_value"), d.get("unit", "")
    sign = d.get("kind") in ("effect", "equivalence")
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return fmt_interval(v, unit, sign=sign)
    return fmt_num(v, unit, sign=sign)


def _ours(d: dict) -> str:
    unit = d.get("unit", "")
    sign = d.get("kind") in ("effect", "equivalence")
    ours = d.get("ours")
    text = fmt_num(ours, unit, sign=sign) if not isinstance(ours, str) else ours
    ci = d.get("ci")
    if ci is not None and ci[0] is not None and ci[1] is not None:
        label = "PI" if d.get("interval") == "prediction" else "CI"
        text += f", 95% {label} {fmt_interval(ci, '', sign=sign)}"
    if d.get("n") is not None:
        text += f", n={d['n']}"
    return text


def toc_pages(toc: Union[str, Path] = "_toc.yml") -> dict[str, dict]:
    """``{chapter stem: {"path": file relative to the book root, "title": first heading}}`` for every
    file in a Jupyter Book ``_toc.yml`` (the path gets the extension found on disk)."""
    toc = Path(toc)
    root = toc.parent
    entries: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    entries.append(node[key])
            for v in node.values():
                if isinstance(v, (list, dict)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(yaml.safe_load(toc.read_text(encoding="utf-8")))
    pages = {}
    for entry in entries:
        for ext in (".ipynb", ".md", ""):
            f = root / (entry + ext)
            if f.is_file():
                pages[Path(entry).name] = {"path": f.relative_to(root).as_posix(), "title": _title(f)}
                break
    return pages


def _title(path: Path) -> str:
    try:
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return path.stem
    m = re.search(r"^#\s+(.+)$", text, flags=re.M)
    return m.group(1).strip() if m else path.stem


def render_ledger(claims: Sequence[dict], pages: Optional[Mapping[str, Mapping[str, str]]] = None,
                  ledger_dir: str = "book", title: str = "Claims ledger") -> str:
    """MyST markdown of the ledger page (see the module docstring).

    Args:
        claims: claim dicts as in ``results/claims.json``.
        pages: chapter stem → ``{"path": …, "title": …}`` (:func:`toc_pages`); chapters without an
            entry are listed without a link.
        ledger_dir: folder of the ledger page relative to the book root, for relative links.
    """
    for d in claims:
        if d.get("status") not in STATUSES:
            raise ValueError(f"claim {d.get('id')!r}: status {d.get('status')!r} is not one of {STATUSES}")
    pages = dict(pages or {})
    counts = Counter(d["status"] for d in claims)
    lines = [f"# {title}", "",
             "<!-- Generated by `python -m simaug.report ledger` from results/claims.json. Do not edit by hand. -->", "",
             "Every claim of the five sources that this book tests, one row each. The rows are computed by "
             "`simaug.report` from the results each chapter stored (`results/claims.json`); no number on this page "
             "is typed by hand. *Ours* is our mean difference (method minus baseline) or mean, with its 95% "
             "confidence interval (CI; paired by seed where the arms share seeds) or, for a single published "
             "run, the 95% prediction interval (PI) for one new run of our design, and n seeds. Each claim links "
             "to the chapter section that discusses it.", ""]
    lines += [f"- {badge(s)} {LEGEND[s]}." for s in STATUSES]
    lines += ["", f"**{len(claims)} claims:** " + ", ".join(f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in STATUSES) + ".", ""]
    for ch in sorted({d["chapter"] for d in claims}):
        page = pages.get(ch)
        link = os.path.relpath(page["path"], ledger_dir).replace(os.sep, "/") if page else None
        if page:
            lines += [f"## {page.get('title') or ch}", "", f"Chapter page: [{ch}]({link}).", ""]
        else:
            lines += [f"## {ch}", ""]
        lines += ["```{list-table}", ":header-rows: 1", ":widths: 52 14 20 14", ":width: 100%", ":class: claims-ledger", "",
                  "* - claim, scale and reason", "  - source", "  - ours", "  - status"]
        for d in sorted((d for d in claims if d["chapter"] == ch), key=lambda d: d["id"]):
            text = _cell(d["claim"])
            if link:
                anchor = f"#{slugify(d['section'])}" if d.get("section") else ""
                text = f"[{text}]({link}{anchor})"
            lines += [f"* - **{text}**", "", f"    *Scale:* {_cell(d['scale'])}", "", f"    *Reason:* {_cell(d['reason'])}",
                      f"  - {_cell(_source(d))}", f"  - {_cell(_ours(d))}", f"  - {badge(d['status'])}"]
        lines += ["```", ""]
    return "\n".join(lines)

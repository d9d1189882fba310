"""Students' HTML made inert on the pages people read: feedback, and formgrader's grading page.

A student writes the markdown answers and every output, and may add raw
cells. Rendered as they are, a ``<script>``, an ``onerror=`` or a
``javascript:`` link would run in the reader's browser: in formgrader, that
is a TA's logged-in session, which can read model answers and other
students' work and enter grades. nbconvert's pages pass markdown and raw
HTML through unchanged (nbgrader's templates do not use nbconvert's
``sanitize_html``), so both exporters get:

- ``markdown2html``: nbconvert's, then ``clean``, as a template filter
  (nbconvert's ``TemplateExporter.filters`` setting), so every markdown cell
  and markdown output is cleaned after it became HTML, MathML included;
- ``clean_html``: ``clean``, for the outputs that nbconvert cleans itself
  with ``sanitize_html`` on (HTML outputs; JavaScript and widgets are then
  left out);
- ``strip_files_prefix``: nbconvert's, then ``clean`` again: it turns
  ``href="files/javascript:…"``, a relative link when first cleaned, into
  ``javascript:…``;
- ``SanitizeStudentHTML``, nbconvert's ``SanitizeHTML`` step for raw cells
  and outputs, with the same allow-list.

``clean`` keeps what prose and maths need (text formatting, lists, tables,
code, links to http(s) and mail, images, MathML elements with their layout
attributes) and escapes the rest, so a reader sees an attempt as text. No
``style`` attribute survives, and a ``class`` only if it is one of syntax
highlighting's: with CSS, or the page's own Bootstrap classes
(``navbar-fixed-top``), a student could lay a fake score over the page. No
``id`` survives either: formgrader finds each grade's box by the id of its
cell, and an answer holding an element with another cell's id would take
the TA's grade for that cell. MathML keeps its sizes and shifts only up to
a few em, for the same reason as ``style``.

It is bleach rather than nh3: nh3 can hold this allow-list, MathML
included, but it removes what it refuses, where bleach escapes it so that a
TA sees the attempt; and nbconvert requires bleach anyway.
"""
import functools
import re
from typing import Any

import bleach
from nbconvert.filters import markdown2html as nbconvert_markdown2html
from nbconvert.filters import strip_files_prefix as nbconvert_strip_files_prefix
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import NotebookNode
from pygments.token import STANDARD_TYPES

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    # MathML, as latex2mathml writes it (grading/pages/mathml.py)
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "mfenced", "mmultiscripts", "mprescripts", "none", "merror",
})
_LAYOUT = ["mathvariant", "displaystyle", "scriptlevel", "stretchy", "fence", "separator", "lspace", "rspace",
           "form", "minsize", "maxsize", "largeop", "movablelimits", "accent", "accentunder", "linethickness",
           "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
           "width", "height", "depth", "voffset", "notation", "open", "close", "separators", "symmetric",
           "align", "encoding"]
ATTRIBUTES = {
    "*": ["class", "title"],
    "a": ["href", "title"], "img": ["src", "alt", "width", "height"], "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"], "ol": ["start"],
    "math": ["display", "xmlns", *_LAYOUT], **{tag: _LAYOUT for tag in TAGS if tag.startswith("m") and tag != "math"},
    "mstyle": _LAYOUT, "mtd": ["columnspan", "rowspan", *_LAYOUT], "annotation": ["encoding"],
}
# Images may be inline data; links may not (a data: page runs its own scripts).
PROTOCOLS = frozenset({"http", "https", "mailto", "attachment", "data"})
# What nbconvert's code highlighting and pandas' tables write; none of them places anything.
CLASSES = frozenset(STANDARD_TYPES.values()) - {""} | {"highlight", "hll", "anchor-link", "dataframe"}


# MathML's sizes and shifts, and roughly how many em one of each unit is: maths
# needs a few em at most (latex2mathml writes 0.167em, 1.2em, 1cm); a shift of
# 2000px would lay an image in an answer over the page.
LENGTHS = {"width", "height", "depth", "voffset", "lspace", "rspace", "minsize", "maxsize", "linethickness",
           "columnspacing", "rowspacing"}
EM_PER_UNIT = {"": 1, "em": 1, "ex": 0.5, "px": 1 / 16, "pt": 1 / 12, "pc": 1, "mm": 0.24, "cm": 2.4, "in": 6,
               "%": 0.01}
MAX_EM = 5
_LENGTH = re.compile(r"(?P<number>[-+]?(\d+\.?\d*|\.\d+))\s*(?P<unit>[a-z%]*)|[a-z]+")


def _small_lengths(value):
    """Each of ``value``'s lengths is a named one (thin, medium) or at most MAX_EM em."""
    for length in value.lower().split():
        match = _LENGTH.fullmatch(length)
        if not match or (match["number"] and (match["unit"] not in EM_PER_UNIT or
                                              abs(float(match["number"])) * EM_PER_UNIT[match["unit"]] > MAX_EM)):
            return False
    return True


def _allowed(tag, name, value):
    if name not in ATTRIBUTES.get(tag, []) and name not in ATTRIBUTES["*"]:
        return False
    if name == "class":
        return set(value.split()) <= CLASSES
    if name in LENGTHS and tag.startswith("m"):
        return _small_lengths(value)
    if tag == "a" and name == "href" and value.strip().lower().startswith("data:"):
        return False
    if tag == "img" and name == "src" and value.strip().lower().startswith("data:"):
        return value.strip().lower().startswith(("data:image/png", "data:image/jpeg", "data:image/gif"))
    return True


def clean(html: str | bytes) -> str:
    """``html`` with everything but the allow-list escaped (tags) or dropped (attributes, URLs)."""
    return _clean(html.decode() if isinstance(html, bytes) else str(html))


@functools.lru_cache(maxsize=4096)  # most of a page is the assignment's own text, the same for every student
def _clean(html: str) -> str:
    return bleach.clean(html, tags=TAGS, attributes=_allowed, protocols=PROTOCOLS, strip=False, strip_comments=True)


def markdown2html(source: str, *args: Any, **kwargs: Any) -> str:
    """nbconvert's markdown2html filter, cleaned."""
    return clean(nbconvert_markdown2html(source, *args, **kwargs))


def strip_files_prefix(html: str) -> str:
    """nbconvert's strip_files_prefix filter, cleaned again."""
    return clean(nbconvert_strip_files_prefix(html))


FILTERS = {"markdown2html": f"{__name__}.markdown2html", "clean_html": f"{__name__}.clean",
           "strip_files_prefix": f"{__name__}.strip_files_prefix"}


class SanitizeStudentHTML(SanitizeHTML):
    """nbconvert's SanitizeHTML with the course's allow-list: raw cells and outputs; and no cell metadata that
    stops the page (a ``magics_language`` that is not a string).

    Markdown cells are cleaned after they became HTML, by the
    ``markdown2html`` filter: cleaning markdown text would escape the ``<``
    of a code span.
    """

    enabled = True  # wherever it is listed: nbgrader registers feedback's steps as their classes have them

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        cell_index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if not isinstance(cell.get("metadata", {}).get("magics_language", ""), str):
            del cell.metadata["magics_language"]  # the highlighter takes it as a language's name, or fails
        if cell.cell_type == "markdown":
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)

    def sanitize_html_tags(self, html_str: str) -> str:
        return clean(html_str)

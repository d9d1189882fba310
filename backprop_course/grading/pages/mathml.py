"""Mathematics in feedback pages as MathML, so that they read right with no internet.

nbconvert's pages load MathJax from a CDN to typeset ``$...$``; offline, a
student sees raw LaTeX. ``MathToMathML`` runs in the feedback pipeline and
replaces each ``$...$`` and ``$$...$$`` of a markdown cell by MathML (with the
pinned latex2mathml), which every current browser draws by itself. Code
spans are left alone, and an expression that cannot be converted stays as
it was. A notebook's first ``max_expressions`` expressions are converted and
the rest stay as written: MathML is about 25 times the size of its LaTeX, and
the sanitiser after it slows with the markup, so a cell of dollar signs
cannot stall everyone's feedback.
"""
import re
from typing import Any

from latex2mathml.converter import convert
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Integer

# Code is left alone: fenced blocks, indented blocks (after a blank line) and spans.
CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|(?:^|\n\n)(?:(?: {4}|\t)[^\n]*(?:\n|$))+|(`+).+?\2", re.S | re.M)
# Display maths may span lines but not paragraphs; inline maths stays within a paragraph too. Both are
# bounded in length, so a cell full of dollar signs cannot make the search slow.
MATH = re.compile(r"\$\$((?:[^$]|\$(?!\$)){1,4000}?)\$\$"
                  r"|(?<![\\$])\$(?![\s$])((?:[^$\n]|\n(?![ \t]*\n)){1,1000}?)(?<![\s\\])\$")


def to_mathml(markdown: str, budget: list[float] | None = None) -> str:
    """``markdown`` with its LaTeX maths replaced by MathML, code spans untouched.

    ``budget``: a one-item list holding how many expressions may still be converted (it is counted down).
    """
    budget = budget if budget is not None else [float("inf")]
    pieces, last = [], 0
    for code in CODE.finditer(markdown):
        pieces += [_convert_maths(markdown[last:code.start()], budget), code.group(0)]
        last = code.end()
    return "".join(pieces + [_convert_maths(markdown[last:], budget)])


def _convert_maths(text, budget):
    def replace(match):
        if budget[0] <= 0:
            return match.group(0)
        budget[0] -= 1
        display = match.group(1) is not None
        try:
            return convert((match.group(1) if display else match.group(2)).strip(),
                           display="block" if display else "inline")
        except Exception:  # leave what cannot be converted as the student wrote it
            return match.group(0)
    return MATH.sub(replace, text)


class MathToMathML(Preprocessor):
    """Feedback step: every markdown cell's maths as MathML (see the module docstring).

    nbconvert's own preprocessor class, not nbgrader's, whose redeclared
    display_data_priority makes traitlets warn on every feedback run.
    """

    enabled = True
    max_expressions = Integer(2000, help="Expressions of one notebook converted to MathML; the rest stay as LaTeX."
                              ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        self._budget = [self.max_expressions]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source, self._budget)
        return cell, resources

"""Mathematics in feedback pages as MathML, so that they read right with no internet.

nbconvert's pages load MathJax from a CDN to typeset ``$...$``; offline, a
student sees raw LaTeX. ``MathToMathML`` runs in the feedback pipeline and
replaces each ``$...$`` and ``$$...$$`` of a markdown cell by MathML (with the
pinned latex2mathml), which every current browser draws by itself. Code
spans are left alone, and an expression that cannot be converted stays as
it was.
"""
import re

from latex2mathml.converter import convert
from nbconvert.preprocessors import Preprocessor

# Code is left alone: fenced blocks, indented blocks (after a blank line) and spans.
CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|(?:^|\n\n)(?:(?: {4}|\t)[^\n]*(?:\n|$))+|(`+).+?\2", re.S | re.M)
# Display maths may span lines but not paragraphs; inline maths stays within a paragraph too. Both are
# bounded in length, so a cell full of dollar signs cannot make the search slow.
MATH = re.compile(r"\$\$((?:[^$]|\$(?!\$)){1,4000}?)\$\$"
                  r"|(?<![\\$])\$(?![\s$])((?:[^$\n]|\n(?![ \t]*\n)){1,1000}?)(?<![\s\\])\$")


def to_mathml(markdown):
    """``markdown`` with its LaTeX maths replaced by MathML, code spans untouched."""
    pieces, last = [], 0
    for code in CODE.finditer(markdown):
        pieces += [_convert_maths(markdown[last:code.start()]), code.group(0)]
        last = code.end()
    return "".join(pieces + [_convert_maths(markdown[last:])])


def _convert_maths(text):
    def replace(match):
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

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = to_mathml(cell.source)
        return cell, resources

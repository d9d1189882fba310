"""Feedback maths as MathML (grading/pages/mathml.py): no kernel, no browser."""
import pytest

from backprop_course.grading.pages.mathml import to_mathml


def test_inline_and_display_maths_become_mathml():
    html = to_mathml(r"The slope $\partial L/\partial w_1$, and $$a = b^2$$.")
    assert html.count("<math") == 2 and 'display="block"' in html and "$" not in html


@pytest.mark.parametrize("markdown", [
    "costs $5 here\n\n## Results\n\nand x$ there",      # dollars in prose, paragraphs apart
    "Run `echo $HOME` and `$x$`.",                        # code spans
    "```\n$x$ in a fence\n```",                            # fenced code
    "Text\n\n    $x$ in an indented block\n",             # indented code
])
def test_prose_and_code_are_left_alone(markdown):
    assert to_mathml(markdown) == markdown


def test_a_notebook_full_of_dollar_signs_converts_only_its_first_expressions():
    """So the MathML, and the sanitiser's work on it, stay bounded however many expressions a student writes."""
    from nbformat.v4 import new_markdown_cell, new_notebook

    from backprop_course.grading.pages.mathml import MathToMathML
    from backprop_course.grading.pages.sanitize import markdown2html
    notebook = new_notebook(cells=[new_markdown_cell("$a$ " * 200_000), new_markdown_cell("$b$")])
    notebook, _ = MathToMathML(max_expressions=100).preprocess(notebook, {})
    html = markdown2html(notebook.cells[0].source)
    assert notebook.cells[0].source.count("<math") == 100 and notebook.cells[1].source == "$b$"
    assert html.count("<math") == 100

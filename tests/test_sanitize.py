"""Students' HTML is inert in their feedback and on formgrader's grading page (grading/pages/sanitize.py).

A red team put scripts, event handlers, ``javascript:`` links (also behind
nbconvert's ``files/`` prefix), CSS, Bootstrap's placing classes and ids of
other cells (formgrader finds a grade's box by its cell's id) into a
markdown answer, its maths, raw cells and outputs. Every payload carries the
word PWNED: it may show as text, but never inside a tag, an attribute or a
script.
"""
from html.parser import HTMLParser

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_raw_cell
from traitlets.config.loader import PyFileConfigLoader

from backprop_course.course import Course
from backprop_course.grading.pages.sanitize import clean
from support.submissions import fixture_notebook_path

ASSIGNMENT = "chain_rule"
ANSWER = ("My answer. <script>PWNED_script()</script> <img src=x onerror=\"PWNED_onerror()\">"
          " [click](javascript:PWNED_link()) $\\href{javascript:PWNED_href()}{x}$"
          " $\\style{position:fixed;top:0;PWNED:0}{x}$ $\\text{<img src=x onerror=PWNED_text()>}$"
          " <a href=\"data:text/html,PWNED_data\">data</a> <a href=\"files/javascript:PWNED_files()\">f</a>"
          " [f](/files/javascript:PWNED_files_md()) <h6 id=\"PWNED_id\">h</h6>"
          " <div class=\"navbar navbar-fixed-top PWNED_class\">Score: 14 / 14</div>\n\n"
          "Kept: a fraction $\\frac{a}{b}$, [a link](https://example.org/page) and code `a < b`.")
OUTPUTS = """from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML('<table><tr><td>kept cell</td></tr></table><script>PWNED_html()</script>'
             '<img src=x onerror="PWNED_html_img()"><div style="position:fixed;PWNED:1">x</div>'
             '<h6 id="PWNED_output_id">h</h6><div class="modal-backdrop in PWNED_output_class">x</div>'))
display(Javascript('PWNED_js()'))
display(Markdown('<script>PWNED_md()</script>'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>PWNED_svg()</script></svg>'))"""


class ActiveContent(HTMLParser):
    """Where PWNED appears as something a browser acts on: a tag's attribute, or a script or style body."""

    def __init__(self):
        super().__init__()
        self.found, self.tags, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag if tag in ("script", "style") else None
        for name, value in attrs:
            if "PWNED" in (value or "") or (name.startswith("on") and "PWNED" in (value or "")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data):
        if self._in and "PWNED" in data:
            self.found.append(f"<{self._in}>{data}")

    def handle_endtag(self, tag):
        self._in = None


def active(html):
    parser = ActiveContent()
    parser.feed(html)
    return parser


def hostile_notebook(path):
    notebook = nbformat.read(fixture_notebook_path(ASSIGNMENT, "reference"), as_version=4)
    answer = next(cell for cell in notebook.cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_question_1")
    answer.source = ANSWER
    notebook.cells += [new_raw_cell("<script>PWNED_raw_html()</script>", metadata={"raw_mimetype": "text/html"}),
                       new_raw_cell("<script>PWNED_raw()</script>"),
                       new_code_cell(OUTPUTS, metadata={"magics_language": 5})]  # stopped both pages
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The hostile submission's feedback page and formgrader page, autograded by nbgrader."""
    folder = tmp_path_factory.mktemp("sanitize")
    course = Course.scratch_copy(folder / "course")
    course.release(ASSIGNMENT)
    course.submit("mallory", ASSIGNMENT, hostile_notebook(folder / f"{ASSIGNMENT}.ipynb"))
    course.autograde(ASSIGNMENT)
    course.generate_feedback(ASSIGNMENT)
    feedback = (course.root / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    config.CourseDirectory.root = str(course.root)
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "mallory", "last_name": "", "first_name": "",
                 "notebook_path": "/"}
    formgrade, _ = HTMLExporter(config=config).from_filename(
        str(course.root / "autograded" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), resources=resources)
    return {"feedback": feedback, "formgrader": formgrade}


@pytest.mark.slow
@pytest.mark.parametrize("page", ["feedback", "formgrader"])
def test_no_payload_is_active(rendered, page):
    html = rendered[page]
    assert html.count("PWNED") >= 10, "the payloads did not reach the page"  # they show, as text
    assert active(html).found == []


@pytest.mark.slow
@pytest.mark.parametrize("page", ["feedback", "formgrader"])
def test_what_answers_and_outputs_need_is_kept(rendered, page):
    html = rendered[page]
    assert 'href="https://example.org/page"' in html and "<td>kept cell</td>" in html
    assert "<code>a &lt; b</code>" in html
    if page == "feedback":
        assert "<mfrac>" in html  # the maths, as MathML
    else:
        assert "Rubric for TAs" in html  # formgrader's page is still ours


def test_clean_keeps_mathml_layout_and_drops_links_and_styles():
    mathml = ('<math display="block"><mrow href="javascript:x()"><mstyle style="color:red" displaystyle="true">'
              '<mi mathvariant="bold">W</mi></mstyle></mrow></math>')
    assert clean(mathml) == ('<math display="block"><mrow><mstyle displaystyle="true"><mi mathvariant="bold">W'
                             '</mi></mstyle></mrow></math>')
    assert clean('<img src="data:image/png;base64,AAAA" onerror="x()">') == '<img src="data:image/png;base64,AAAA">'
    assert clean('<a href="data:text/html,x">d</a>') == "<a>d</a>"


def test_clean_keeps_highlighting_classes_and_drops_ids_and_placing_classes():
    highlighted = '<span class="n">x</span><span class="mi">1</span>'
    assert clean(highlighted) == highlighted
    assert clean('<h6 id="answer_question_2">h</h6>') == "<h6>h</h6>"
    assert clean('<div class="n navbar-fixed-top">x</div>') == "<div>x</div>"


def test_maths_keeps_its_small_sizes_and_loses_big_shifts():
    """A red team shifted an image in an answer 2000px by MathML's mpadded, over other cells' scores."""
    assert clean('<math><mpadded voffset="2000px" lspace="-40em" width="0.5em"><mtext>x</mtext></mpadded>'
                 '<mspace width="1cm"></mspace><mo minsize="1.2em" rspace="thinmathspace">(</mo></math>') == (
        '<math><mpadded width="0.5em"><mtext>x</mtext></mpadded><mspace width="1cm"></mspace>'
        '<mo minsize="1.2em" rspace="thinmathspace">(</mo></math>')

"""The class report: contents, exports, links, statuses, and a render in headless Chromium."""
import csv
import json
import shutil
import subprocess
from html.parser import HTMLParser

import nbformat
import pytest

from backprop_course import ASSIGNMENTS
from backprop_course.outcomes import CRASHED, GRADED, INVALID, MISSING, TIMED_OUT, _submission_status
from backprop_course.report import normalise_message, write_reports

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class LinksAndTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images, self.tables = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self.tables.append(attrs.get("id"))


def parse(markup):
    parser = LinksAndTags()
    parser.feed(markup)
    return parser


@pytest.fixture(scope="module")
def reports(graded_course):
    index = write_reports(graded_course.root, ASSIGNMENTS)
    return index.parent


def test_index_links_every_assignment_report(reports):
    links = parse((reports / "index.html").read_text()).links
    assert links == [f"{assignment}.html" for assignment in ASSIGNMENTS]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_report_has_charts_tables_and_resolving_feedback_links(reports, graded_course, assignment):
    page = parse((reports / f"{assignment}.html").read_text())
    assert [image["id"] for image in page.images] == ["score-histogram", "pass-rates"]
    assert all(image["src"].startswith("data:image/png;base64,") for image in page.images)
    assert {"common-mistakes", "flagged", "students"} <= set(page.tables)
    feedback_links = [link for link in page.links if link.endswith(".html") and link != "index.html"]
    students = sorted(path.parent.name for path in (graded_course.root / "submitted").glob(f"*/{assignment}"))
    assert len(feedback_links) == len(students)
    for link in feedback_links:
        assert (reports / link).resolve().is_file(), link


def test_common_mistakes_and_flags_come_from_the_diagnostic_messages(reports):
    page = (reports / "chain_rule.html").read_text()
    assert "off by a constant factor of 1/2" in page and "sign flipped" in page
    statuses = json.loads((reports / "statuses.json").read_text())
    assert statuses["chain_rule"]["dldw_hard_coded"]["flags"] == [
        "right only at the notebook's own inputs (hard-coded?) in test_dldw"]
    assert statuses["curve_backprop"]["b1_fixed_N"]["flags"]
    assert statuses["chain_rule"]["dldw_by_finite_differences"]["flags"] == [
        "test_dldw: ran the given forward pass 4 times in one call: computed without the chain rule "
        "(finite differences of the loss)?"]
    assert statuses["curve_backprop"]["reference"] == {"status": GRADED, "reason": "", "flags": []}


def test_question_scores_csv_has_every_question_of_every_student(reports, graded_course):
    rows = list(csv.DictReader(open(reports / "question_scores.csv")))
    for assignment in ASSIGNMENTS:
        tests = graded_course.test_cells(assignment)
        students = graded_course.scores(assignment)
        mine = [row for row in rows if row["assignment"] == assignment]
        assert len(mine) == len(tests) * len(students)
        for row in mine:
            assert float(row["score"]) == students[row["student"]][row["question"]]
    grades = list(csv.DictReader(open(reports / "grades.csv")))
    assert {row["student_id"] for row in grades} >= set(graded_course.scores("chain_rule"))


def test_messages_are_grouped_without_per_student_numbers():
    a = "CheckFailed: J_b1(x, y) for a 3-4 network on 11 random points has the wrong values (largest relative error 0.5)."
    b = "CheckFailed: J_b1(x, y) for a 5-2 network on 30 random points has the wrong values (largest relative error 0.1)."
    assert normalise_message(a) == normalise_message(b)


def test_statuses_of_broken_submissions(tmp_path):
    submitted, autograded = tmp_path / "submitted.ipynb", tmp_path / "autograded.ipynb"
    assert _submission_status(submitted, autograded)[0] == MISSING
    submitted.write_text("{ this is not json")
    assert _submission_status(submitted, autograded)[0] == INVALID
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("while True: pass")])
    nbformat.write(notebook, submitted)
    assert _submission_status(submitted, autograded)[0] == CRASHED
    notebook.cells[0].outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    nbformat.write(notebook, autograded)
    assert _submission_status(submitted, autograded)[:2] == (TIMED_OUT, "a cell ran past the time limit")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package `chromium`; "
                                             ".ci/run installs it): the browser render of the report is not tested")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_report_renders_in_headless_chromium(reports, assignment, tmp_path):
    url = (reports / f"{assignment}.html").as_uri()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, *profile, "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    rendered = parse(dom)
    assert len(rendered.images) == 2 and "students" in rendered.tables
    for link in rendered.links:
        assert (reports / link).resolve().is_file(), link
    screenshot = reports / f"screenshot-{assignment}.png"
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, *profile, "--window-size=1200,1600",
                    f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    assert screenshot.stat().st_size > 20_000, "the screenshot is (nearly) empty"
    print(f"screenshot: {screenshot}")

"""A TA's round in formgrader, driven in headless Chromium with no network beyond this machine.

Log in with a token, open a submission, grade its three hand-graded parts
with comments (the rubric beside each), autograde it again, check that
nothing needs grading again, generate feedback (a second student, whom
nobody graded, reads "not graded yet"), then open the class report, sort
its student table and follow a mistake to its students. Any JavaScript
error on the way fails the test. With BACKPROP_UPDATE_SCREENSHOTS=1 it
also writes the report's screenshot used in docs/tas.md.
"""
import csv
import json
import os
import shutil
import time

import nbformat
import pytest

from backprop_course import REPO_ROOT
from backprop_course.course import Course
from backprop_course.report import write_reports
from support.browser import CHROMIUM, Browser
from support.formgrader import free_port, running
from support.leaks import html_text
from support.submissions import fixture_notebook_path

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")]

ASSIGNMENT = "chain_rule"
GRADED, UNGRADED = "reference", "missing_factor_2"
HAND_GRADES = {"plot_data": (1, "Clear axes and labels."), "answer_question_1": (1.5, "Half of the reason."),
               "answer_question_2": (2, "Every shared factor named.")}


@pytest.fixture(scope="module")
def formgrader(tmp_path_factory):
    """A scratch course with three autograded students, and a Jupyter server with formgrader on it."""
    course = Course.scratch_copy(tmp_path_factory.mktemp("ta-round") / "course")
    course.release(ASSIGNMENT)
    for student in (GRADED, UNGRADED, "dldw_hard_coded"):
        course.submit(student, ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, student))
    course.autograde(ASSIGNMENT)
    port = free_port()
    with open(course.root / "nbgrader_config.py", "a") as config:  # the report links parts to this formgrader
        config.write(f"\nc.ClassReport.formgrader_url = 'http://127.0.0.1:{port}'\n")
    with running(course.root, tmp_path_factory.mktemp("jupyter-runtime"), port) as server:
        yield course, server.base, server.token


def hand_grades(course, student):
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        grades = {grade.name: (grade.manual_score, grade.needs_manual_grade) for grade in notebook.grades
                  if grade.name in HAND_GRADES}
        comments = {comment.name: comment.manual_comment for comment in notebook.comments
                    if comment.name in HAND_GRADES}
        return notebook.id, grades, comments


def wait_until(condition, timeout=120, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def click_in_row(browser, student, selector):
    """Click the link ``selector`` in the manage-submissions row of ``student``."""
    browser.wait_for(f"""Array.from(document.querySelectorAll("tr")).some(row =>
        row.innerText.includes({json.dumps(student)}) && row.querySelector({json.dumps(selector)}))""")
    browser.evaluate(f"""Array.from(document.querySelectorAll("tr")).find(row =>
        row.innerText.includes({json.dumps(student)}) && row.querySelector({json.dumps(selector)}))
        .querySelector({json.dumps(selector)}).click()""")


def test_a_tas_round_in_formgrader_with_no_network(formgrader, tmp_path):
    course, base, token = formgrader
    submission_id, before, _ = hand_grades(course, GRADED)
    assert all(needs for _, needs in before.values())  # answered, and nobody has graded them
    autograded = course.root / "autograded" / GRADED / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    with Browser() as browser:
        # 1. Log in with the token.
        browser.goto(f"{base}/formgrader?token={token}")
        browser.wait_for("document.body.innerText.includes('Manage Assignments')")

        # 2. Open the submission: MathJax comes from this environment, and each hand-graded part has its rubric.
        browser.goto(f"{base}/formgrader/submissions/{submission_id}/")
        browser.wait_for("window.MathJax && MathJax.loaded")
        rubrics = browser.evaluate("Array.from(document.querySelectorAll('.rubric')).map(r => r.id)")
        assert rubrics == [f"rubric-{grade_id}" for grade_id in HAND_GRADES]
        assert all(browser.evaluate(f"""document.getElementById("rubric-{grade_id}")
            .compareDocumentPosition(document.getElementById("{grade_id}")) & Node.DOCUMENT_POSITION_FOLLOWING""")
                   for grade_id in HAND_GRADES), "a rubric comes after its score box"
        assert "points (students never see this)" in browser.evaluate("document.querySelector('.rubric').innerText")
        grading_page = browser.screenshot(tmp_path / "formgrader.png", "#rubric-answer_question_2")
        # The plot's rubric: its criteria, then the plot the model answer draws (rubric.py, modeloutputs.py).
        assert browser.evaluate("document.querySelector('#rubric-plot_data .criteria').innerText").startswith(
            "Full marks (1): y against x")
        browser.wait_for("document.querySelector('#rubric-plot_data img.model-output').complete")
        assert browser.evaluate("document.querySelector('#rubric-plot_data img.model-output').naturalWidth") > 300
        plot_rubric = browser.screenshot(tmp_path / "formgrader-plot.png", "#rubric-plot_data")
        assert browser.evaluate("document.getElementById('review-reasons')") is None  # nothing to review here
        # A flagged submission says why at the top of its page.
        browser.send("Emulation.setDeviceMetricsOverride", width=800, height=1000, deviceScaleFactor=1, mobile=False)
        browser.goto(f"{base}/formgrader/submissions/{hand_grades(course, 'dldw_hard_coded')[0]}/")
        browser.wait_for("document.getElementById('review-reasons') !== null")
        assert "looks hard-coded in test_dldw" in browser.evaluate(
            "document.getElementById('review-reasons').innerText")
        assert browser.evaluate("""Array.from(document.querySelectorAll(".output_area pre"))
            .every(block => block.scrollWidth <= block.clientWidth + 1)"""), "a diagnosis runs off, behind a scrollbar"
        browser.send("Emulation.clearDeviceMetricsOverride")
        browser.goto(f"{base}/formgrader/submissions/{submission_id}/")
        browser.wait_for("window.MathJax && MathJax.loaded")

        # 3. Grade the three hand-graded parts, with comments.
        for grade_id, (score, comment) in HAND_GRADES.items():
            browser.evaluate(f"""(() => {{
                const score = document.getElementById({json.dumps(grade_id)});
                score.value = {json.dumps(str(score))};
                $(score).trigger("change");
                const comment = document.getElementById({json.dumps(grade_id + "-comment")});
                comment.value = {json.dumps(comment)};
                $(comment).trigger("change");
            }})()""")
        expected = {grade_id: (score, False) for grade_id, (score, _) in HAND_GRADES.items()}
        wait_until(lambda: hand_grades(course, GRADED)[1] == expected, what="formgrader to save the grades")

        # 4. Autograde it again, with formgrader's own button.
        stamp = autograded.stat().st_mtime_ns
        browser.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}")
        click_in_row(browser, GRADED, ".autograde a")
        # nbgrader deletes the autograded folder, then writes it again.
        wait_until(lambda: autograded.exists() and autograded.stat().st_mtime_ns != stamp, what="autograding again")
        browser.wait_for("!document.querySelector('.modal.in') || document.querySelector('.modal.in .btn-primary')",
                         timeout=120)

        # 5. Nothing needs grading again, and the comments stayed.
        _, after, comments = hand_grades(course, GRADED)
        assert after == expected, "autograding again reopened what the TA graded"
        assert comments == {grade_id: comment for grade_id, (_, comment) in HAND_GRADES.items()}

        # 6. Feedback: the graded student's total is whole; the ungraded one's parts read "not graded yet".
        for student in (GRADED, UNGRADED):
            browser.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}")
            click_in_row(browser, student, ".generate-feedback a")
            page = course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
            wait_until(page.exists, what=f"feedback for {student}")
        graded = html_text((course.root / "feedback" / GRADED / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
        assert "(Score: 17.5 / 18)" in graded and "not graded yet" not in graded
        assert "Half of the reason." in graded
        for page in (graded, html_text((course.root / "feedback" / UNGRADED / ASSIGNMENT / f"{ASSIGNMENT}.html")
                                       .read_text())):
            assert "Rubric for TAs" not in page and "Model answer, for TAs" not in page  # formgrader's only
            assert "Full marks (1): y against x" not in page
        model_plot = json.loads((course.root / ".backprop" / "rubrics" / ASSIGNMENT / f"{ASSIGNMENT}.json")
                                .read_text())["cells"]["plot_data"]["outputs"][0]["image/png"].replace("\n", "")
        for student in (GRADED, UNGRADED):  # the model's plot shows only where the student drew the same
            own = nbformat.read(course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
            drawn = [output.get("data", {}).get("image/png", "").replace("\n", "")
                     for cell in own.cells for output in cell.get("outputs", [])]
            feedback = (course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
            assert feedback.replace("\n", "").count(model_plot) == drawn.count(model_plot), student
        ungraded_page = course.root / "feedback" / UNGRADED / ASSIGNMENT / f"{ASSIGNMENT}.html"
        ungraded = html_text(ungraded_page.read_text())
        assert "partial: 5 points not graded yet)" in ungraded
        assert ungraded.count("(Score: not graded yet / ") == 3
        # A narrow window, such as a laptop's half screen: long messages must wrap, not scroll.
        browser.send("Emulation.setDeviceMetricsOverride", width=640, height=1000, deviceScaleFactor=1, mobile=False)
        browser.goto(ungraded_page.as_uri())  # offline: the maths is MathML, drawn by the browser
        assert browser.evaluate("document.querySelectorAll('math').length") > 10
        assert browser.evaluate("""Array.from(document.querySelectorAll(".output_area pre"))
            .every(block => block.scrollWidth <= block.clientWidth + 1)"""), "a message runs off, behind a scrollbar"
        browser.send("Emulation.clearDeviceMetricsOverride")

        # 7. The class report: sort the students, and follow a mistake to its students.
        write_reports(course.root, [ASSIGNMENT])
        with open(course.root / "reports" / "question_scores.csv", newline="") as table:
            exported = {row["question"]: (float(row["score"]), row["comment"]) for row in csv.DictReader(table)
                        if row["student"] == GRADED and row["kind"] == "by hand"}
        assert exported == HAND_GRADES, "the export lacks a TA's score or comment"
        report = course.root / "reports" / f"{ASSIGNMENT}.html"
        browser.send("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        browser.goto(report.as_uri())
        assert browser.evaluate("document.documentElement.scrollWidth") <= 1280, "the report is wider than 1,280 px"
        browser.send("Emulation.clearDeviceMetricsOverride")
        browser.evaluate("document.querySelectorAll('#students thead th')[0].click()")
        assert browser.evaluate("document.querySelector('#students thead th').getAttribute('aria-sort')") \
            == "ascending"
        names = browser.evaluate("Array.from(document.querySelectorAll('#students tbody tr')).map(r => r.id)")
        assert names == sorted(names)
        browser.evaluate("document.querySelector('#common-mistakes tbody a').click()")
        target = browser.wait_for("location.hash")
        assert target.startswith("#student-") and browser.evaluate(
            f"document.getElementById({json.dumps(target[1:])}).matches(':target')")
        browser.evaluate("scrollTo(0, 0)")
        screenshot = browser.screenshot(tmp_path / "report.png")
        # A part still to grade opens that submission's page in formgrader, at the part's score box.
        link = browser.evaluate("document.querySelector('#to-grade a.formgrader').href")
        assert link.startswith(f"{base}/formgrader/submissions/") and link.endswith("#rubric-plot_data"), link
        browser.goto(link)
        browser.wait_for("document.getElementById('rubric-plot_data') !== null && "
                         "document.getElementById('plot_data') !== null")  # the rubric, then the score box
        assert browser.errors == [], "\n".join(browser.errors)

    # Plain nbgrader keeps the TA's grading too; a changed answer, and only that one, needs grading again.
    course.nbgrader("autograde", ASSIGNMENT, "--force", f"--student={GRADED}")
    assert hand_grades(course, GRADED)[1] == expected
    submitted = course.root / "submitted" / GRADED / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(submitted, as_version=4)
    [answer] = [cell for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_question_2"]
    answer.source += " I checked the chain by hand for two layers too."
    nbformat.write(notebook, submitted)
    course.nbgrader("autograde", ASSIGNMENT, "--force", f"--student={GRADED}")
    assert hand_grades(course, GRADED)[1] == {**expected, "answer_question_2": (2, True)}

    if os.environ.get("BACKPROP_UPDATE_SCREENSHOTS"):
        shutil.copyfile(screenshot, REPO_ROOT / "docs" / f"report-{ASSIGNMENT}.png")
        shutil.copyfile(grading_page, REPO_ROOT / "docs" / "formgrader-rubric.png")
        shutil.copyfile(plot_rubric, REPO_ROOT / "docs" / "formgrader-plot-rubric.png")

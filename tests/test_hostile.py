"""A hostile class autograded in one batch with tight limits, beside correct submissions.

Each case's expected status and lost test cells are in tests/support/hostile.py.
"""
import hashlib
import os
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from backprop_course import REPO_ROOT
from backprop_course.parallel import autograde_class, summary_lines
from backprop_course.course import Course, lost_cells
from backprop_course.grading.cells import is_test_cell
from backprop_course.grading.pages.feedback import QUOTED_PLACEHOLDER
from backprop_course.markers import BEGIN_HIDDEN, END_HIDDEN
from backprop_course.outcomes import CRASHED, GRADED
from support import chain_rule_reference
from support.hostile import ASSIGNMENT, CASES, LINKED_CLASSMATE, LINKS, NOTEBOOK, expected_lost, write_case
from support.submissions import Edit, apply_edits, reference_submission
from support.leaks import html_text, split_regions
from support.submissions import fixture_notebook_path
from backprop_course.grading.sandbox import unavailable_reason

pytestmark = pytest.mark.skipif(
    unavailable_reason() is not None,
    reason=f"the autograding sandbox is unavailable ({unavailable_reason()}); hostile submissions are not "
           "contained, so they are not run (.ci/run installs bubblewrap)")

# Tight limits for the test, as nbgrader_config.py settings; limits.py has the defaults.
CELL_TIMEOUT_SECONDS = 10
SANDBOX_LIMITS = {"memory_mb": 2048, "cpu_seconds": 60, "processes": 48}
NOTEBOOK_SECONDS = 30  # the reference takes a few seconds; sleeps_in_many_cells needs 36
CORRECT = ("reference", "einsum")


def tree_digest(*roots):
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_symlink():  # a link is its target's name (which may appear while grading)
                digest.update(str(path.relative_to(root)).encode() + os.readlink(path).encode())
            elif path.is_file():
                digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = Course.scratch_copy(tmp_path_factory.mktemp("hostile") / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {CELL_TIMEOUT_SECONDS}\n")
        config.write(f"c.BoundedExecute.notebook_seconds = {NOTEBOOK_SECONDS}\n")
        config.writelines(f"c.SandboxedKernelManager.{name} = {value}\n" for name, value in SANDBOX_LIMITS.items())
    course.release(ASSIGNMENT)
    source = REPO_ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    release = REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for case in CASES:
        write_case(case, course.root / "submitted" / case.name / ASSIGNMENT, source, release)
    for name in CORRECT:
        course.submit(name, ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, name))
    before = {"submitted": tree_digest(course.root / "submitted"),
              "course": tree_digest(course.root / "source", course.root / "release")}
    results, seconds = autograde_class(course, ASSIGNMENT, workers=2)
    print("\n".join(summary_lines(ASSIGNMENT, results, seconds)))
    return course, {result.student: result for result in results}, seconds, before


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_case_gets_its_expected_status_and_score(hostile, case):
    course, results, _, _ = hostile
    tests = course.test_cells(ASSIGNMENT)
    result = results[case.name]
    lost = lost_cells(result.cells, tests)
    assert (result.status, sorted(lost)) == (case.status, sorted(expected_lost(case, tests))), result.reason
    assert result.status == GRADED or result.reason, "every outcome other than graded has a reason"


def test_correct_submissions_in_the_same_batch_get_full_marks(hostile):
    course, results, _, _ = hostile
    tests = course.test_cells(ASSIGNMENT)
    for name in CORRECT:
        assert results[name].status == GRADED
        assert results[name].cells == tests


def test_every_student_with_a_submission_has_a_gradebook_row(hostile):
    from nbgrader.api import Gradebook
    course, results, _, _ = hostile
    with Gradebook(course.db_url) as gradebook:
        rows = {submission.student.id for submission in gradebook.assignment_submissions(ASSIGNMENT)}
    assert rows == set(results) == {case.name for case in CASES} | set(CORRECT)


def test_submitted_and_course_files_are_untouched_and_nothing_was_written_outside(hostile):
    course, _, _, before = hostile
    assert tree_digest(course.root / "submitted") == before["submitted"]
    assert tree_digest(course.root / "source", course.root / "release") == before["course"]
    assert list(course.root.rglob("HACKED")) == [] and not Path("/HACKED").exists()
    # links_out_of_its_folder: nbgrader did not chmod the secret through the kernel's link
    assert (course.root / ".probe_secret").stat().st_mode & 0o777 == 0o600
    assert not [path for path in (course.root / "autograded").rglob("*") if path.is_symlink()]


def test_links_in_a_submission_reach_neither_the_kernel_nor_the_graders_copies(hostile):
    course, results, _, _ = hostile
    folder = course.root / "autograded" / "links_to_course_files" / ASSIGNMENT
    notebook = nbformat.read(folder / NOTEBOOK, 4)
    lines = [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
             if output.get("name") == "stdout" for line in output.text.splitlines() if line.startswith("LINKED")]
    assert lines == ["LINKED []"]
    assert not [name for name in [*LINKS, "pipe"] if os.path.lexists(folder / name)]
    # A notebook that is a link to a classmate's is refused; the classmate is graded as ever.
    assert results["notebook_is_a_link"].status == CRASHED and results[LINKED_CLASSMATE].status == GRADED


def test_the_kernel_reaches_nothing_outside_its_folder(hostile):
    course, _, _, _ = hostile
    notebook = nbformat.read(course.root / "autograded" / "probes_the_sandbox" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    lines = [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
             if output.get("name") == "stdout" for line in output.text.splitlines() if line.startswith("SANDBOX-PROBE")]
    assert len(lines) == 1, "the probe did not run"
    reach = json.loads(lines[0].split(" ", 1)[1])
    assert reach == {"gradebook": False, "source": False, "classmate": False, "submitted": False,
                     "network": False, "grading_package": False, "environment_writable": False}
    assert not (Path(sys.prefix) / "HACKED").exists()


def test_tampering_is_flagged_for_tas_and_scored_on_the_real_answer(hostile):
    from nbgrader.api import Gradebook
    course, results, _, _ = hostile
    with Gradebook(course.db_url) as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "allclose_patched")
        assert notebook.flagged
        tests = [grade for grade in notebook.grades if grade.name in course.test_cells(ASSIGNMENT)]
        assert all(grade.manual_score is None and not grade.needs_manual_grade for grade in tests)
        lost = 1 + 3 + 1  # test_dldy, test_dldw and test_dldw_tied
        assert sum(grade.score for grade in tests) == sum(course.test_cells(ASSIGNMENT).values()) - lost
    assert "replaces np.allclose" in results["allclose_patched"].reason


def test_rerunning_gives_the_same_scores_and_keeps_manual_grades(hostile):
    from nbgrader.api import Gradebook
    course, results, _, _ = hostile
    again = ["reference", "allclose_patched", "deleted_test_cell", "corrupt_json"]
    with Gradebook(course.db_url) as gradebook:
        plot = gradebook.find_grade("plot_data", ASSIGNMENT, ASSIGNMENT, "reference")
        plot.manual_score, plot.needs_manual_grade = 1.0, False  # graded and resolved by a TA
        gradebook.find_grade("test_A", ASSIGNMENT, ASSIGNMENT, "allclose_patched").manual_score = 1.0  # TA review
        gradebook.db.commit()
    rerun, _ = autograde_class(course, ASSIGNMENT, students=again, workers=2)
    rerun = {result.student: result for result in rerun}
    for student in again:
        expected = dict(results[student].cells)
        if student == "allclose_patched":
            expected["test_A"] = 1.0
        assert (rerun[student].status, rerun[student].cells) == (results[student].status, expected)
    with Gradebook(course.db_url) as gradebook:
        plot = gradebook.find_grade("plot_data", ASSIGNMENT, ASSIGNMENT, "reference")
        assert plot.score == 1.0 and not plot.needs_manual_grade, "autograding again reopened a graded answer"


def test_a_plot_replaced_by_a_later_cell_needs_grading_again(hostile):
    """A red team's: a later cell replaced the graded plot's display, and the TA's grading of it stood."""
    from nbgrader.api import Gradebook
    course = hostile[0]
    path = course.root / "submitted" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    plot = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "plot_data")
    plot.source = plot.source.replace("plt.show()", "display(figure, display_id='plot')\nplt.close(figure)")
    nbformat.write(notebook, path)
    autograde_class(course, ASSIGNMENT, students=["reference"], workers=1)
    with Gradebook(course.db_url) as gradebook:
        grade = gradebook.find_grade("plot_data", ASSIGNMENT, ASSIGNMENT, "reference")
        grade.manual_score, grade.needs_manual_grade = 1.0, False  # the TA saw the plot
        gradebook.db.commit()
    notebook.cells.append(nbformat.v4.new_code_cell(
        "from IPython.display import Markdown, update_display\n"
        "update_display(Markdown('(no plot: I did not do this part)'), display_id='plot')"))
    nbformat.write(notebook, path)
    autograde_class(course, ASSIGNMENT, students=["reference"], workers=1)
    with Gradebook(course.db_url) as gradebook:
        grade = gradebook.find_grade("plot_data", ASSIGNMENT, ASSIGNMENT, "reference")
        assert grade.needs_manual_grade and grade.manual_score == 1.0  # reopened, the TA's score kept
        total = gradebook.find_submission(ASSIGNMENT, "reference").score
    # The student's feedback does not show the TA's score for the earlier answer as final.
    course.nbgrader("generate_feedback", ASSIGNMENT, "--student=reference", "--force")
    page = (course.root / "feedback" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    plot_heading = page[page.index('<a name="plot_data">'):].split("</div>")[0]
    assert "not graded yet" in plot_heading, plot_heading
    assert f"(Score: {total - 1:g} / 18, partial: 5 points not graded yet)" in page


def test_feedback_is_written_for_a_student_whose_kernel_wrote_a_notebook(hostile):
    course = hostile[0]
    result = course.nbgrader("generate_feedback", ASSIGNMENT, "--student=writes_a_notebook", "--force", check=False)
    assert result.returncode == 0, result.stderr
    assert (course.root / "feedback" / "writes_a_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()


def test_hidden_tests_a_kernel_printed_do_not_reach_its_feedback(hostile):
    """The kernel runs the hidden tests, so a later cell can print them: TAs see that, students do not."""
    course, student = hostile[0], "prints_hidden_tests"
    graded = nbformat.read(course.root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    hidden = [line for cell in graded.cells if is_test_cell(cell)
              for line in split_regions(cell.source)[0]["hidden"] if line]
    seeds = re.findall(r"seed=(\d+)", "\n".join(hidden))
    printed = json.dumps([cell.get("outputs", []) for cell in graded.cells])
    assert len([seed for seed in seeds if seed in printed]) >= 5 and BEGIN_HIDDEN in printed  # it did print
    course.nbgrader("generate_feedback", ASSIGNMENT, f"--student={student}", "--force")
    page = html_text((course.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    assert [text for text in [BEGIN_HIDDEN, END_HIDDEN, *hidden, *seeds] if text in page] == []
    assert QUOTED_PLACEHOLDER in page


def test_a_kernel_cannot_start_a_section_of_the_autograde_log(hostile):
    """A kernel writes to the grader's output, which is the log: a red team forged another student's section.

    Graded again here, as a job: later tests regrade others, and the class log holds only the last run."""
    from backprop_course.parallel.runner import grade_student
    course = hostile[0]
    log, _ = grade_student(course.root, ASSIGNMENT, "forges_the_log", course.root / "gradebook.db")
    log = log.splitlines()
    assert "    === someone_else: exit 0" in log  # written, and shown as the kernel's
    assert not any(line.startswith("=== someone_else") for line in log)


def test_a_resubmission_that_cannot_be_graded_says_the_old_points_still_stand(hostile):
    """nbgrader keeps the last grades of a submission it cannot autograde again: the reason must say so."""
    course = hostile[0]
    (course.root / "submitted" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{ not json")
    results, _ = autograde_class(course, ASSIGNMENT, students=["reference"], workers=1)
    [result] = [result for result in results if result.student == "reference"]
    assert result.status != GRADED and "still holds" in result.reason and "earlier autograde" in result.reason


def _autograded(course, student):
    return course.root / "autograded" / student / ASSIGNMENT


def _printed(notebook, marker):
    return [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" for line in output.text.splitlines() if line.startswith(marker)]


def test_a_full_disk_is_the_kernels_own_and_goes_with_it(hostile):
    """fills_the_disk filled its quota (its working folder and /tmp), full marks for its right answers; nothing
    it wrote reached the grader's disk, and the students graded beside it lost nothing (the CORRECT ones)."""
    course, results, _, _ = hostile
    notebook = nbformat.read(_autograded(course, "fills_the_disk") / NOTEBOOK, as_version=4)
    [line] = _printed(notebook, "DISK-FULL")
    assert line.count("No space left on device") == 2, line  # the quota stopped it, in both places
    written = [path for path in course.root.rglob("filler-*")]
    assert written == [] and sum(path.stat().st_size for path in _autograded(course, "fills_the_disk").rglob("*")) \
        < 2**20
    assert results["fills_the_disk"].cells == course.test_cells(ASSIGNMENT)


def test_a_notebook_over_its_budget_is_stopped_and_timed_out_by_name(hostile):
    course, results, _, _ = hostile
    result = results["sleeps_in_many_cells"]
    assert f"its {NOTEBOOK_SECONDS} s budget" in result.reason and "did not run" in result.reason
    notebook = nbformat.read(_autograded(course, "sleeps_in_many_cells") / NOTEBOOK, as_version=4)
    errors = [output.evalue for cell in notebook.cells if cell.cell_type == "code" and not is_test_cell(cell)
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert f"not run: the notebook ran past its {NOTEBOOK_SECONDS} s budget" in errors
    assert results["ignores_interrupts"].reason.startswith("a cell went on after the interrupt at its time limit: "
                                                           "the kernel was stopped")


def test_a_submission_too_large_to_run_is_refused_alone_with_its_reason(hostile):
    from backprop_course.parallel.runner import grade_in_subprocess
    course, results, _, _ = hostile
    assert not (_autograded(course, "huge_cells") / NOTEBOOK).exists()
    # Graded again by an nbgrader process of its own, whose whole output is the log.
    log, _ = grade_in_subprocess(course.root, ASSIGNMENT, "huge_cells", course.root / "gradebook.db")
    assert "cells hold 13.0 MB, more than the 12.0 MB a submission may hold; it was not run" in log


def test_a_flood_of_displays_is_dropped_as_it_arrives(hostile):
    course, results, _, _ = hostile
    path = _autograded(course, "display_flood") / NOTEBOOK
    assert path.stat().st_size < 4 * 2**20  # it sent 300 MB
    notebook = nbformat.read(path, as_version=4)
    notes = [output.text for cell in notebook.cells for output in cell.get("outputs", [])
             if output.get("name") == "stderr" and "were dropped" in output.get("text", "")]
    assert len(notes) == 1 and "299 more output(s)" in notes[0], notes


ANSWER_TABLE = """

import hashlib, json, os
_wrong_dldw = dldw
_table = json.load(open("answers.json")) if os.path.exists("answers.json") else {}
_seen = {}


def _key(W, x, y):
    parts = [np.ascontiguousarray(part, dtype=float) for part in (*W, x, y)]
    return hashlib.sha256(b"".join(part.tobytes() + str(part.shape).encode() for part in parts)).hexdigest()


def dldw(W, x, y):
    key = _key(W, x, y)
    _seen[key] = [[np.asarray(w).tolist() for w in W], np.asarray(x).tolist(), np.asarray(y).tolist()]
    return _table[key] if key in _table else _wrong_dldw(W, x, y)"""


def test_an_answer_table_beside_a_resubmitted_notebook_does_not_pay(hostile):
    """A red team's: a wrong dldw learned its probes' inputs in one grading, and the same notebook came back
    with answers.json beside it holding the right answers for them (before, 7/11 and then 11/11)."""
    right_dldw = chain_rule_reference()["dldw"]
    course, student = hostile[0], "answer_table"
    folder = course.root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    notebook = apply_edits(reference_submission(REPO_ROOT / "source" / ASSIGNMENT / NOTEBOOK,
                                                REPO_ROOT / "release" / ASSIGNMENT / NOTEBOOK),
                           (Edit("gradient", "shared = dldy(y_pred, y) * dyda(a2)",
                                 "shared = 2 * dldy(y_pred, y) * dyda(a2)"),
                            Edit("gradient", "return [float(dl_dw1), float(dl_dw2)]",
                                 "return [float(dl_dw1), float(dl_dw2)]" + ANSWER_TABLE)))
    notebook.cells.append(nbformat.v4.new_code_cell('print("SEEN", json.dumps(_seen))'))
    nbformat.write(notebook, folder / NOTEBOOK)
    tests = course.test_cells(ASSIGNMENT)

    def grade():
        [result] = [item for item in autograde_class(course, ASSIGNMENT, students=[student], workers=1)[0]
                    if item.student == student]
        graded = nbformat.read(_autograded(course, student) / NOTEBOOK, as_version=4)
        return result, json.loads(_printed(graded, "SEEN")[0].split(" ", 1)[1])

    first, seen = grade()
    assert lost_cells(first.cells, tests) == ["test_dldw"]
    table = {key: [float(value) for value in right_dldw([np.array(w) for w in W], np.array(x), np.array(y))]
             for key, (W, x, y) in seen.items()}
    (folder / "answers.json").write_text(json.dumps(table))
    second, seen_again = grade()
    assert lost_cells(second.cells, tests) == ["test_dldw"], "the table of the first grading's inputs paid"
    probed_anew = set(seen_again) - set(seen)
    assert probed_anew, "the resubmission was probed at the same inputs"


def _without_test_dldw(strip):
    """The wrong answer of dldw_extra_factor_2, with its test_dldw cell deleted or stripped of its metadata."""
    notebook = nbformat.read(fixture_notebook_path(ASSIGNMENT, "dldw_extra_factor_2"), as_version=4)
    [cell] = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_dldw"]
    if strip:
        del cell.metadata["nbgrader"]
    else:
        notebook.cells.remove(cell)
    return notebook


def test_a_resubmission_without_a_test_cell_does_not_keep_that_cells_earlier_points(hostile):
    """A red team's: right first, then wrong with test_dldw deleted (or stripped), kept the first 3 points."""
    from nbgrader.api import Gradebook
    course = hostile[0]
    students = {"resubmits_deleted": False, "resubmits_stripped": True}
    for student in students:
        course.submit(student, ASSIGNMENT, fixture_notebook_path(ASSIGNMENT, "reference"))
    first = {result.student: result for result in autograde_class(course, ASSIGNMENT, students=list(students),
                                                                   workers=2)[0]}
    assert all(first[student].cells["test_dldw"] == 3 for student in students)
    for student, strip in students.items():
        nbformat.write(_without_test_dldw(strip), course.root / "submitted" / student / ASSIGNMENT / NOTEBOOK)
    again = {result.student: result for result in autograde_class(course, ASSIGNMENT, students=list(students),
                                                                   workers=2)[0]}
    with Gradebook(course.db_url) as gradebook:
        for student in students:
            assert gradebook.find_grade("test_dldw", ASSIGNMENT, ASSIGNMENT, student).score == 0, student
            assert again[student].cells["test_dldw"] == 0 and sum(again[student].cells.values()) == 10, student

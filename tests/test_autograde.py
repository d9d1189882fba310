"""nbgrader autograde gives every fixture submission exactly its expected outcome.

One scratch course autogrades all fixtures once (see conftest.graded_course);
each test reads its gradebook, autograded notebooks or feedback.
"""
import nbformat
import pytest

from backprop_course import REPO_ROOT
from support import ASSIGNMENTS
from backprop_course.course import lost_cells
from backprop_course.grading.cells import is_test_cell
from backprop_course.markers import BEGIN_HIDDEN, END_HIDDEN
from support.catalogs import EXPECTED_MESSAGES, catalog
from support.leaks import found_secrets, html_text, notebook_secrets
from support.submissions import FIXTURES_DIR, build_submission, fixture_notebook_path
from support.suites import suite_result

from conftest import expected_outcomes, fixture_cases

pytestmark = pytest.mark.slow  # end to end: real nbgrader over notebooks


@pytest.mark.parametrize("assignment,student", fixture_cases())
def test_fixture_loses_points_exactly_where_expected(graded_course, assignment, student):
    expected = expected_outcomes(assignment)[student]
    tests = graded_course.test_cells(assignment)
    cells = graded_course.scores(assignment)[student]
    assert set(cells) == set(tests), "every test cell must be in the gradebook"
    lost = sorted(lost_cells(cells, tests))
    kept_partially = [name for name in lost if cells[name] > 0]
    assert lost == expected["loses"], expected["description"]
    assert kept_partially == [], "test cells are all-or-nothing"
    assert sum(cells.values()) == expected["score"]


def notebook_text(notebook):
    return "\n".join(cell.source for cell in notebook.cells)


def failure_messages(autograded_notebook):
    notebook = nbformat.read(autograded_notebook, as_version=4)
    return [f"{output.ename}: {output.evalue}".splitlines()[0].rstrip(": ")
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


@pytest.mark.parametrize("assignment,student", fixture_cases())
def test_feedback_shows_messages_but_no_secrets(graded_course, assignment, student):
    root = graded_course.root
    feedback = html_text((root / "feedback" / student / assignment / f"{assignment}.html").read_text())
    for message in failure_messages(root / "autograded" / student / assignment / f"{assignment}.ipynb"):
        assert message in feedback
    secrets = notebook_secrets(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    # What is already the student's may show: their code, what it printed
    # outside the test cells, and the release.
    autograded = nbformat.read(root / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
    already_theirs = "\n".join(
        [notebook_text(nbformat.read(fixture_notebook_path(assignment, student), 4))]
        + [notebook_text(nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", 4))]
        + [output.get("text", "") for cell in autograded.cells if not is_test_cell(cell)
           for output in cell.get("outputs", [])])
    assert found_secrets(feedback, secrets, allowed_text=already_theirs) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_feedback_names_the_stub(graded_course, assignment):
    feedback = (graded_course.root / "feedback" / "blank" / assignment / f"{assignment}.html").read_text()
    assert "NotImplementedError" in feedback


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_fixtures_match_the_catalog(assignment):
    source = REPO_ROOT / "source" / assignment / f"{assignment}.ipynb"
    release = REPO_ROOT / "release" / assignment / f"{assignment}.ipynb"
    assert sorted(expected_outcomes(assignment)) == sorted(f.name for f in catalog(assignment))
    folders = sorted(path.name for path in (FIXTURES_DIR / assignment).iterdir() if path.is_dir())
    assert folders == sorted(f.name for f in catalog(assignment)), "stale fixture folders: run `make fixtures`"
    for fixture in catalog(assignment):
        committed = nbformat.read(fixture_notebook_path(assignment, fixture.name), as_version=4)
        assert committed == build_submission(fixture, source, release), \
            f"{fixture.name} is stale: run `make fixtures`"


def test_feedback_before_hand_grading_says_not_graded_yet_and_the_total_is_partial(graded_course):
    """The reference student answered every hand-graded part, and no TA has graded them yet."""
    page = (graded_course.root / "feedback" / "reference" / "chain_rule" / "chain_rule.html").read_text()
    text = html_text(page)
    assert "(Score: 13 / 18, partial: 5 points not graded yet)" in text
    for part, points in (("plot data", 1), ("answer question 1", 2), ("answer question 2", 2)):
        assert f"Graded by hand: {part} (Score: not graded yet / {points})" in text
    assert "0 / 2" not in text and "Test cell" not in text

    start = page.index('id="toc"')
    contents = html_text(page[start:page.index("</div>", start)])
    entries = [line.strip() for line in contents.splitlines() if line.strip().startswith("Checks: ")]
    assert len(entries) == len(graded_course.test_cells("chain_rule"))
    assert "Checks: A is sin, applied element-wise. (Score: 1 / 1)" in entries
    assert "white-space: pre-wrap" in page  # long messages wrap


def test_unfiltered_feedback_would_leak(graded_course):
    """Without our filter, nbgrader's own feedback shows hidden tests (nbgrader #917).

    This proves the leak checks above can fail, and that the filter is what passes them.
    """
    student, assignment = "missing_factor_2", "chain_rule"
    graded_course.nbgrader("generate_feedback", assignment, "--force", f"--student={student}",
                           "--CourseDirectory.feedback_directory=feedback_unfiltered",
                           "--GenerateFeedback.preprocessors=['nbgrader.preprocessors.GetGrades']")
    page = graded_course.root / "feedback_unfiltered" / student / assignment / f"{assignment}.html"
    secrets = notebook_secrets(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    hits = found_secrets(html_text(page.read_text()), secrets)
    assert any(hit.startswith("hidden test line") for hit in hits)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_hold_no_expected_value(assignment):
    """The probes in the hidden tests only call and record: every expected value is on the trusted side."""
    source = nbformat.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb", 4)
    hidden = [line for cell in source.cells if is_test_cell(cell)
              for line in cell.source.split(BEGIN_HIDDEN)[1].split(END_HIDDEN)[0].splitlines()]
    code = [line for line in hidden if line.strip() and not line.lstrip().startswith("#")]
    assert code and all(line == "from gradecheck import run_probes" or line.startswith("run_probes(")
                        for line in code), code


@pytest.mark.parametrize("assignment,student", [case for case in fixture_cases()
                                                if case[1] not in ("reference", "blank")])
def test_every_lost_point_comes_with_a_message_a_student_can_act_on(graded_course, assignment, student):
    notebook = nbformat.read(graded_course.root / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
    messages = []
    for cell in notebook.cells:
        if is_test_cell(cell):
            for output in cell.outputs:
                if output.output_type == "error":
                    assert output.ename in ("CheckFailed", "AssertionError"), \
                        f"a raw {output.ename} instead of a check's message: {output.evalue}"
                    assert len(output.evalue) > 20
                    assert "?." not in output.evalue, output.evalue
                    messages.append(output.evalue)
    phrase = EXPECTED_MESSAGES[assignment].get(student)
    if phrase:
        assert any(phrase in message for message in messages), messages


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_kill_rate_and_equivalence_pass_rate_are_complete(graded_course, assignment):
    result = suite_result(assignment, graded_course.scores(assignment), graded_course.test_cells(assignment))
    print("\n".join(result.lines()))
    assert result.mistakes >= 20 and result.equivalents >= 8
    assert result.surprises == []
    assert result.killed == result.killed_precisely == result.mistakes
    assert result.equivalents_full_marks == result.equivalents


def changed_locked_cells(release_path, submitted_paths):
    """{(student, grade_id)} of locked cells whose source a submission changed from the release."""
    from nbgrader.utils import is_locked
    released = {cell.metadata["nbgrader"]["grade_id"]: cell.source
                for cell in nbformat.read(release_path, as_version=4).cells if is_locked(cell)}
    changed = set()
    for path in submitted_paths:
        for cell in nbformat.read(path, as_version=4).cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in released and cell.source != released[grade_id]:
                changed.add((path.parent.parent.name, grade_id))
    return changed


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_autograde_log_warns_once_for_each_really_changed_locked_cell_and_never_else(graded_course,
                                                                                        assignment):
    import re
    log = (graded_course.root / "logs" / f"autograde_{assignment}.txt").read_text()
    assert "Attribute 'checksum'" not in log
    warned = re.findall(r"WARNING\] (\S+) changed the locked cell (\S+);", log)
    submitted = sorted((graded_course.root / "submitted").glob(f"*/{assignment}/{assignment}.ipynb"))
    expected = changed_locked_cells(graded_course.root / "release" / assignment / f"{assignment}.ipynb", submitted)
    assert sorted(warned) == sorted(expected)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_generation_logs_no_configuration_warning(graded_course, assignment):
    log = (graded_course.root / "logs" / f"feedback_{assignment}.txt").read_text()
    assert [line for line in log.splitlines() if "WARNING" in line] == []


def test_an_answer_without_the_chain_rule_is_flagged_for_formgraders_ta_and_a_correct_one_is_not(graded_course):
    """The method verdict sets nbgrader's own flag, which formgrader shows; right answers stay unflagged."""
    from nbgrader.api import Gradebook
    flagged = {}
    with Gradebook(graded_course.db_url) as gradebook:
        for assignment in ASSIGNMENTS:
            for submission in gradebook.assignment_submissions(assignment):
                flagged[(assignment, submission.student_id)] = any(nb.flagged for nb in submission.notebooks)
    assert flagged[("chain_rule", "dldw_by_finite_differences")] and flagged[("chain_rule", "dhda_by_differences")]
    assert flagged[("curve_backprop", "jacobians_by_differences_of_the_cost")]
    method_free = [(assignment, fixture) for assignment in ASSIGNMENTS
                   for fixture, outcome in expected_outcomes(assignment).items() if outcome["kind"] == "equivalent"]
    assert method_free and not any(flagged[key] for key in method_free)
    # Hard-coding is nbgrader's flag too, in both assignments.
    assert flagged[("chain_rule", "dldw_hard_coded")] and flagged[("curve_backprop", "W1_hard_coded")]

"""A third assignment added by docs/authors.md's steps alone, with no engine file touched.

tests/support/softmax/ is the unit an author writes (the gradient of softmax
cross-entropy): its checks, its trusted part and its source notebook. Added
to a copy of the course, it is shipped, released, autograded by plain
``nbgrader autograde`` (a right and a wrong submission), fed back and
reported, as the guide says.
"""
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backprop_course import REPO_ROOT
from backprop_course.course import Course
from backprop_course.units import unit_names
from support.leaks import html_text
from support.submissions import Edit, apply_edits

UNIT = Path(__file__).parent / "support" / "softmax"
NAME = "softmax"
RIGHT_LINE = "    return probabilities / len(labels)"
ENGINE = REPO_ROOT / "backprop_course"


def course_command(course, *args):
    return subprocess.run([sys.executable, "-m", "backprop_course", *args, "--course", str(course.root)],
                          capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = Course.scratch_copy(tmp_path_factory.mktemp("authors") / "course")
    for folder in ("assignments", "source"):  # steps 1 to 3: the unit and its notebook
        shutil.copytree(UNIT / folder / NAME, course.root / folder / NAME)
    course_command(course, "sync")  # step 4
    course.release(NAME)
    source = nbformat.read(course.root / "source" / NAME / f"{NAME}.ipynb", as_version=4)
    wrong = apply_edits(copy.deepcopy(source), [Edit("gradient", RIGHT_LINE, "    return probabilities")])
    answers = {"ada": source, "bob": wrong}
    for student, notebook in answers.items():
        folder = course.folder("submitted", student, NAME)
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{NAME}.ipynb")
    graded = course.nbgrader("autograde", NAME)  # each student's first: nbgrader adds their submission
    (course.root / "autograde_output.txt").write_text(graded.stdout + graded.stderr)
    course.nbgrader("generate_feedback", NAME)
    subprocess.run([sys.executable, "-m", "backprop_course", "report", "--course", str(course.root), NAME],
                   capture_output=True, text=True, check=True)
    return course


def test_the_course_finds_the_new_unit_beside_its_own(course):
    assert unit_names(course.root) == ("chain_rule", "curve_backprop", NAME)


def test_students_get_its_checks_and_the_engines_shipped_core_and_nothing_trusted(course):
    released = course.root / "release" / NAME
    assert sorted(str(path.relative_to(released)) for path in released.rglob("*") if path.is_file()) == [
        "gradecheck/__init__.py", "gradecheck/changes.py", "gradecheck/core.py", "gradecheck/diagnosis.py",
        "gradecheck/probes.py", "nbgrader_config.py", f"{NAME}.ipynb"]
    checks = (UNIT / "assignments" / NAME / "checks.py").read_text()
    assert (released / "gradecheck" / "__init__.py").read_text() == checks
    assert RIGHT_LINE.strip() not in (released / f"{NAME}.ipynb").read_text()


def test_plain_nbgrader_autograde_scores_the_right_answer_full_and_names_the_wrong_ones_mistake(course):
    assert course.scores(NAME) == {"ada": {"test_gradient": 2.0}, "bob": {"test_gradient": 0.0}}
    graded = nbformat.read(course.folder("autograded", "bob", NAME) / f"{NAME}.ipynb", as_version=4)
    test_cell = next(cell for cell in graded.cells
                     if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_gradient")
    assert "is off by a constant factor of 2" in test_cell.outputs[0]["evalue"]  # the missing mean over 2 rows


def test_its_feedback_says_what_went_wrong_and_shows_no_solution(course):
    text = html_text((course.folder("feedback", "bob", NAME) / f"{NAME}.html").read_text())
    assert "is off by a constant factor of 2" in text
    assert RIGHT_LINE.strip() not in text and "run_probes" not in text


def test_it_has_its_own_page_in_the_class_report(course):
    page = (course.root / "reports" / f"{NAME}.html").read_text()
    assert "ada" in page and "bob" in page and "test_gradient" in page
    assert f'href="{NAME}.html"' in (course.root / "reports" / "index.html").read_text()


def test_no_engine_file_names_an_assignment_its_functions_or_its_files():
    """Everything particular to an assignment is in its unit; the engine is the same for every course."""
    names = set(unit_names(REPO_ROOT)) | {NAME}
    particular = names | {"backprop.csv", "curve_training", "dldw", "dldy", "J_W1", "test_dldw", "sine", "heart"}
    files = [path for path in ENGINE.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    assert len(files) > 40
    found = sorted(f"{path.relative_to(REPO_ROOT)}: {word}" for path in files for word in particular
                   if word in path.read_text(errors="replace"))
    assert found == []


def test_the_class_report_links_the_grading_on_submit_page_once_the_service_has_run(course):
    from backprop_course.report import write_reports
    from backprop_course.serve import status

    index = course.root / "reports" / "index.html"
    assert status.PAGE_NAME not in index.read_text()  # no service ran here: no dead link
    status.write_page(course, [])
    write_reports(course.root, [NAME])
    assert f'href="{status.PAGE_NAME}"' in index.read_text()


def test_the_autograde_log_is_free_of_nbgraders_harmless_sqlalchemy_warnings(course):
    output = (course.root / "autograde_output.txt").read_text()
    assert "Autograding" in output and "SAWarning" not in output, output

"""Running nbgrader over a course directory.

Every step calls the real ``nbgrader`` command line with the course's own
``nbgrader_config.py``, so what the tests and the demo exercise is exactly
what an instructor runs by hand.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import ASSIGNMENTS, REPO_ROOT

NBGRADER = Path(sys.executable).with_name("nbgrader")


class NbgraderFailed(RuntimeError):
    pass


class Course:
    """An nbgrader course directory: the repository root, or a scratch copy of it."""

    def __init__(self, root, db_url=None):
        """``db_url``: the gradebook, when nbgrader_config.py sets one (default: root/gradebook.db)."""
        self.root = Path(root).resolve()
        self._db_url = db_url

    @classmethod
    def scratch_copy(cls, destination, source_root=REPO_ROOT):
        """A fresh course directory holding only this course's config and sources.

        The copy has its own gradebook, so nothing it grades reaches the real one.
        """
        destination = Path(destination)
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        shutil.copy2(source_root / "nbgrader_config.py", destination / "nbgrader_config.py")
        shutil.copytree(source_root / "source", destination / "source",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        return cls(destination)

    def nbgrader(self, *args, check=True):
        """Run one nbgrader command in this course directory; return its result."""
        # nbgrader runs `alembic` as a command to set up the gradebook, so the
        # virtual environment's bin/ must be on PATH even when it isn't activated.
        path = os.pathsep.join([str(NBGRADER.parent), os.environ.get("PATH", "")])
        environment = dict(os.environ, PATH=path)
        result = subprocess.run([str(NBGRADER), *args], cwd=self.root, env=environment,
                                capture_output=True, text=True, errors="replace")
        if check and result.returncode != 0:
            raise NbgraderFailed(f"nbgrader {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
        return result

    def release(self, assignment):
        return self.nbgrader("generate_assignment", assignment, "--force")

    def submit(self, student, assignment, notebook_path):
        """Place one student's notebook where `nbgrader autograde` looks for it."""
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook_path, folder / f"{assignment}.ipynb")

    def autograde(self, assignment):
        return self.nbgrader("autograde", assignment, "--create", "--force")

    def generate_feedback(self, assignment):
        return self.nbgrader("generate_feedback", assignment, "--force")

    def export_grades(self, csv_path):
        return self.nbgrader("export", "--to", str(csv_path))

    def test_cells(self, assignment):
        """{grade_id: points} of the autograded test cells, read from the source notebooks."""
        import nbformat

        from .grading.feedback import is_test_cell

        cells = {}
        for path in sorted((self.root / "source" / assignment).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if is_test_cell(cell):
                    cells[cell.metadata["nbgrader"]["grade_id"]] = float(cell.metadata["nbgrader"]["points"])
        return cells

    def hand_graded_cells(self, assignment):
        """{grade_id: points} of the parts a TA grades by hand, read from the source notebooks."""
        import nbformat

        from .grading.manualgrades import is_hand_graded

        cells = {}
        for path in sorted((self.root / "source" / assignment).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if is_hand_graded(cell):
                    cells[cell.metadata["nbgrader"]["grade_id"]] = float(cell.metadata["nbgrader"]["points"])
        return cells

    def scores(self, assignment):
        """{student: {grade_id: score}} of the autograded test cells, from the gradebook."""
        from nbgrader.api import Gradebook

        tests = self.test_cells(assignment)
        result = {}
        with Gradebook(self.db_url) as gradebook:
            for submission in gradebook.assignment_submissions(assignment):
                result[submission.student.id] = {
                    grade.name: grade.score
                    for notebook in submission.notebooks for grade in notebook.grades
                    if grade.name in tests}
        return result

    @property
    def db_url(self):
        return self._db_url or f"sqlite:///{self.root / 'gradebook.db'}"


def lost_cells(scores, test_points):
    """The test cells (in ``test_points``' order) that scored less than their points in ``scores``."""
    return [name for name, points in test_points.items() if scores.get(name, 0) < points]


def release_all(course=None, assignments=ASSIGNMENTS):
    course = course or Course(REPO_ROOT)
    for assignment in assignments:
        course.release(assignment)
        print(f"released {assignment} -> {(course.root / 'release' / assignment).relative_to(course.root)}/")

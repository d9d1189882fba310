"""Running nbgrader over a course directory.

Every step calls the real ``nbgrader`` command line with the course's own
``nbgrader_config.py``, so what the tests and the demo exercise is exactly
what an instructor runs by hand. What the course's own commands read of
the course (the gradebook's ``db_url``, the course id, the exchange, the
folders) comes from the configuration that ``nbgrader`` itself loads in the
course directory (``nbgrader_settings``), never from a default of ours.
"""
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from . import REPO_ROOT
from .units import UNITS_FOLDER, unit_names

if TYPE_CHECKING:
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

NBGRADER = Path(sys.executable).with_name("nbgrader")


class NbgraderFailed(RuntimeError):
    pass


def nbgrader_settings(root: str | Path) -> "Config":
    """The configuration that ``nbgrader`` run in ``root`` reads, as its own app loads it: Jupyter's
    config folders (~/.jupyter, /etc/jupyter, ...), then ``root/nbgrader_config.py``."""
    from nbgrader.apps.nbgraderapp import NbGraderApp

    previous_folder, previous_path = os.getcwd(), list(sys.path)
    os.chdir(root)
    try:
        app = NbGraderApp()  # not the process's singleton: an nbgrader app running here keeps its own
        app.initialize([])
        return app.config
    finally:
        os.chdir(previous_folder)
        sys.path[:] = previous_path  # nbgrader adds the course root


def put_environment_on_path() -> None:
    """nbgrader runs `alembic` by name when it opens a new gradebook: this environment's bin/ goes on PATH,
    as activating the environment would put it."""
    folder = str(NBGRADER.parent)
    if folder not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([folder, os.environ.get("PATH", "")])


class Course:
    """An nbgrader course directory: the repository root, or a scratch copy of it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._config = (None, None)  # (the config file's stamp, the configuration read from it)
        put_environment_on_path()  # this process opens the gradebook too

    @property
    def config(self) -> "Config":
        """The configuration nbgrader reads in this course; read again when nbgrader_config.py changes."""
        config_file = self.root / "nbgrader_config.py"
        stamp = (config_file.stat().st_mtime_ns, config_file.stat().st_size) if config_file.exists() else None
        if self._config[0] != stamp or self._config[1] is None:
            self._config = (stamp, nbgrader_settings(self.root))
        return self._config[1]

    @property
    def settings(self) -> "CourseDirectory":
        """nbgrader's CourseDirectory for this course, as configured."""
        from nbgrader.coursedir import CourseDirectory

        root = {} if "root" in self.config.CourseDirectory else {"root": str(self.root)}
        return CourseDirectory(config=self.config, **root)

    def folder(self, step: str, student: str = ".", assignment: str = ".") -> Path:
        """nbgrader's folder of ``step`` ("source", "release", "submitted", "autograded", "feedback") for a
        student and an assignment, under the names nbgrader_config.py gives them."""
        settings = self.settings
        return Path(settings.format_path(getattr(settings, f"{step}_directory"), student, assignment))

    def submitted_students(self, assignment: str) -> list[str]:
        """The students with a submitted folder of ``assignment``."""
        submitted = Path(self.settings.root) / self.settings.submitted_directory
        return sorted(path.parent.name for path in submitted.glob(f"*/{assignment}"))

    @classmethod
    def scratch_copy(cls, destination: str | Path, source_root: Path = REPO_ROOT) -> Self:
        """A fresh course directory holding only this course's config, sources and assignment units.

        The copy has its own gradebook, so nothing it grades reaches the real one.
        """
        destination = Path(destination)
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        shutil.copy2(source_root / "nbgrader_config.py", destination / "nbgrader_config.py")
        with open(destination / "nbgrader_config.py", "a") as config:
            # Whatever gradebook the course's config names (say PostgreSQL), the copy's is its own.
            config.write(f"\n# A scratch copy of the course: its own gradebook.\n"
                         f"c.CourseDirectory.db_url = {'sqlite:///' + str(destination.resolve() / 'gradebook.db')!r}\n")
        for folder in ("source", UNITS_FOLDER):
            if (source_root / folder).is_dir():
                shutil.copytree(source_root / folder, destination / folder,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        return cls(destination)

    def nbgrader(self, *args: str, check: bool = True,
                 timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """Run one nbgrader command in this course directory; return its result.

        ``timeout``: seconds, after which the command is killed (subprocess.TimeoutExpired)."""
        # nbgrader runs `alembic` as a command to set up the gradebook, so the
        # virtual environment's bin/ must be on PATH even when it isn't activated.
        path = os.pathsep.join([str(NBGRADER.parent), os.environ.get("PATH", "")])
        environment = dict(os.environ, PATH=path)
        result = subprocess.run([str(NBGRADER), *args], cwd=self.root, env=environment,
                                capture_output=True, text=True, errors="replace", timeout=timeout)
        if check and result.returncode != 0:
            raise NbgraderFailed(f"nbgrader {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
        return result

    def release(self, assignment: str) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("generate_assignment", assignment, "--force")

    def submit(self, student: str, assignment: str, notebook_path: str | Path) -> None:
        """Place one student's notebook where `nbgrader autograde` looks for it."""
        folder = self.folder("submitted", student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook_path, folder / f"{assignment}.ipynb")

    def autograde(self, assignment: str) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("autograde", assignment, "--create", "--force")

    def generate_feedback(self, assignment: str) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("generate_feedback", assignment, "--force")

    def export_grades(self, csv_path: str | Path) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("export", "--to", str(csv_path))

    def test_cells(self, assignment: str) -> dict[str, float]:
        """{grade_id: points} of the autograded test cells, read from the source notebooks."""
        import nbformat

        from .grading.cells import is_test_cell

        cells = {}
        for path in sorted(self.folder("source", assignment=assignment).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if is_test_cell(cell):
                    cells[cell.metadata["nbgrader"]["grade_id"]] = float(cell.metadata["nbgrader"]["points"])
        return cells

    def hand_graded_cells(self, assignment: str) -> dict[str, float]:
        """{grade_id: points} of the parts a TA grades by hand, read from the source notebooks."""
        import nbformat

        from .grading.cells import is_hand_graded

        cells = {}
        for path in sorted(self.folder("source", assignment=assignment).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if is_hand_graded(cell):
                    cells[cell.metadata["nbgrader"]["grade_id"]] = float(cell.metadata["nbgrader"]["points"])
        return cells

    def scores(self, assignment: str) -> dict[str, dict[str, float]]:
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
    def db_url(self) -> str:
        """The gradebook, as nbgrader_config.py (or Jupyter's config folders) set it."""
        return self.settings.db_url


def lost_cells(scores: dict[str, float], test_points: dict[str, float]) -> list[str]:
    """The test cells (in ``test_points``' order) that scored less than their points in ``scores``."""
    return [name for name, points in test_points.items() if scores.get(name, 0) < points]


def release_all(course: Course | None = None, assignments: Sequence[str] | None = None) -> None:
    """Release each assignment (default: every unit); warn if that changes the points of graded submissions."""
    from .grading.judge.releases import record_release_folder

    course = course or Course(REPO_ROOT)
    for assignment in assignments or unit_names(course.root):
        before, submissions = released_points(course, assignment)
        release = course.folder("release", assignment=assignment)
        if release.is_dir():  # what students have now, in the history before it is replaced
            record_release_folder(course.root, assignment, release)
        course.release(assignment)
        print(f"released {assignment} -> {course.folder('release', assignment=assignment).relative_to(course.root)}/")
        after, _ = released_points(course, assignment)
        changed = {name: (before.get(name), after.get(name)) for name in before.keys() | after.keys()
                   if before.get(name) != after.get(name)}
        if submissions and changed:
            print(f"WARNING: {assignment} has {submissions} submissions, and this release changes its points: "
                  + ", ".join(f"{name} {old or 0:g} -> {new or 0:g}" for name, (old, new) in sorted(changed.items()))
                  + f" (total {sum(before.values()):g} -> {sum(after.values()):g}). Their scores change when they "
                  f"are autograded again: python -m backprop_course autograde {assignment} (hand grades are kept). "
                  "docs/instructors.md, 'Changing an assignment after release', says what students do.",
                  file=sys.stderr)


def released_points(course: Course, assignment: str) -> tuple[dict[str, float], int]:
    """({grade_id: points} of the graded cells, number of submissions), as the gradebook has them."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url) as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:  # never released
            return {}, 0
        return ({cell.name: cell.max_score for notebook in found.notebooks for cell in notebook.grade_cells},
                len(found.submissions))

"""What each release of an assignment gave students, so that the instructor's own change is not a student's.

An instructor who changes a graded or locked cell after release (more points for a test, a fixed
instruction) and releases again leaves earlier submissions holding the earlier release's cell. nbgrader
grades them with the new one, which is right, but its checks would blame each student for the difference.

``RecordRelease``, the last step of ``nbgrader generate_assignment``, adds each graded or locked cell's
points and released source (its digest) to ``.backprop/releases/<assignment>.json`` in the course
folder: every version any release gave out, oldest first. ``RestoreLockedCells`` asks
``ReleaseHistory.gave`` whether a submitted cell is one of them. A student cannot make a changed cell
look released: its source must be byte for byte one that a release gave.
"""
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

HISTORY_FOLDER = Path(".backprop") / "releases"


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


class ReleaseHistory:
    """Every released version of each graded or locked cell of one assignment: {notebook: {grade_id: [...]}}."""

    def __init__(self, course_root: str | Path, assignment: str) -> None:
        self.path = Path(course_root) / HISTORY_FOLDER / f"{assignment}.json"
        try:
            self.notebooks = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.notebooks = {}  # no release recorded yet (or unreadable): nothing counts as released before

    def gave(self, notebook: str, grade_id: str, **cell: Any) -> bool:
        """Whether a release gave out this cell with these ``points`` and ``source`` (given ones compared)."""
        return any(all(version.get(key) == value for key, value in cell.items())
                   for version in self.notebooks.get(notebook, {}).get(grade_id, []))

    def add(self, notebook: str, grade_id: str, points: float | None, source: str) -> None:
        version = {"points": points, "source": digest(source)}
        versions = self.notebooks.setdefault(notebook, {}).setdefault(grade_id, [])
        if version not in versions:
            versions.append(version)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps(self.notebooks, indent=1) + "\n")
        os.replace(scratch, self.path)


class RecordRelease(NbGraderPreprocessor):
    """Last step of ``nbgrader generate_assignment``: remember what this release gives students."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        history = ReleaseHistory(os.path.abspath(CourseDirectory(parent=self).root), info["assignment"])
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if "grade_id" in meta and (meta.get("grade") or meta.get("locked")):
                history.add(info["notebook"], meta["grade_id"], meta.get("points"), cell.source)
        history.save()
        return nb, resources

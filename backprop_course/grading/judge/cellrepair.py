"""Repair of a submission's cells before nbgrader grades it: duplicates dropped (nbgrader #1083), locked cells restored.

Both are sanitize steps of ``nbgrader autograde``, set in nbgrader_config.py.
"""
import os
from typing import Any

from nbgrader.api import Gradebook, MissingEntry, SourceCell
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells
from nbformat import NotebookNode
from nbgrader.utils import is_locked

from .gradebookwrites import OneStudentsWrite
from .releases import ReleaseHistory, digest

SCHEMA_VERSION = MetadataValidator().schema_version  # the nbgrader metadata format this nbgrader grades


class DropDuplicateGradedCells(OneStudentsWrite, NbGraderPreprocessor):
    """Sanitize step: keep only the first cell of each known grade_id, with nbgrader's metadata version.

    nbgrader's DeduplicateIds blanks the metadata of all but the last copy of
    a duplicated cell, and the blanked cell then stops the whole autograde
    run as "old metadata format" (nbgrader #1083); a cell whose grade_id was
    renamed stops it as "corrupted metadata". Dropping extra copies and cells
    the gradebook does not know first lets the submission, and everyone after
    it, be graded normally: a renamed test counts as a deleted one (0 points).
    Any cell whose nbgrader metadata has another schema version (none, older,
    newer) stops the whole run too: a known cell is taken as the current
    version, which the later checks and repairs hold it to, and any other
    loses its nbgrader metadata, as the student's own cell.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cells in (notebook.grade_cells, notebook.solution_cells, notebook.task_cells,
                                             notebook.source_cells) for cell in cells}
        seen, kept = set(), []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id is not None and (grade_id in seen or grade_id not in known):
                self.log.warning("Dropping cell %r: a duplicate, or unknown to the gradebook", grade_id)
                continue
            seen.add(grade_id)
            kept.append(cell)
            if grade_id is not None:
                meta["schema_version"] = SCHEMA_VERSION
            elif meta is not None:
                self.log.warning("Removing nbgrader metadata without a grade_id from a cell of the student's")
                del cell.metadata["nbgrader"]
        nb.cells = kept
        return nb, resources


class RestoreLockedCells(OneStudentsWrite, OverwriteCells):
    """nbgrader's OverwriteCells, which warns only about cells that a student really changed.

    nbgrader puts the hidden tests back by overwriting each locked cell with
    its source, and warns "Attribute 'checksum' ... has changed!" for every
    test cell with a hidden part, because the released cell never had it.
    That is nine warnings per notebook for nothing, which bury a real one. A
    locked cell equal to its released form (its source with the hidden
    tests cleared, by the release's own ClearHiddenTests settings) is
    restored silently; any other change is reported once, with the student.
    A cell as an earlier release gave it (``releases.py``: the instructor
    changed it and released again) is graded as the current release has it,
    and the log says so without blaming the student.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        self.student, self.notebook = info.get("student", "the student"), info["notebook"]
        self.kinds = None  # read from the gradebook with the first cell
        self.releases = ReleaseHistory(os.path.abspath(CourseDirectory(parent=self).root), info["assignment"])
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            self.restore_kind(cell, grade_id)
        if grade_id is not None and is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.locked and cell.source == self.released(source):
                cell.source = source.source  # the hidden tests back, as nbgrader would
            elif source is not None and source.locked and self.releases.gave(self.notebook, grade_id,
                                                                             source=digest(cell.source)):
                self.log.info("%s has cell %s as an earlier release gave it; it is graded as the current release "
                              "has it", self.student, grade_id)
                cell.source = source.source
        return super().preprocess_cell(cell, resources, index)

    def restore_kind(self, cell: NotebookNode, grade_id: str) -> None:
        """The release's grade, solution and task flags, which nbgrader's step leaves as the student set them.

        A flipped flag changes a locked cell's checksum for good, and a
        markdown answer without "grade" fails nbgrader's metadata check: either
        would stop the autograde, and leave the last grades standing.
        """
        if self.kinds is None:
            notebook = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
            self.kinds = {"grade": {cell.name for cell in notebook.grade_cells},
                          "solution": {cell.name for cell in notebook.solution_cells},
                          "task": {cell.name for cell in notebook.task_cells}}
            self.known = {cell.name for cell in notebook.source_cells}.union(*self.kinds.values())
        if grade_id not in self.known:
            return  # nbgrader's step drops what the gradebook does not know
        for flag, names in self.kinds.items():
            released, submitted = grade_id in names, bool(cell.metadata.nbgrader.get(flag, False))
            if released != submitted:
                self.report_change(grade_id, flag, released, submitted)
                cell.metadata.nbgrader[flag] = released

    def released(self, source_cell: SourceCell) -> str:
        """The source cell as `nbgrader generate_assignment` released it."""
        cell = NotebookNode(source=source_cell.source)
        ClearHiddenTests(parent=self)._remove_hidden_test_region(cell)
        return cell.source

    def report_change(self, name: str, attr: str, old: object, new: object) -> None:
        if attr == "points" and self.releases.gave(self.notebook, name, points=new):
            self.log.info("%s has cell %s with %s points, as an earlier release gave it; the current release's %s "
                          "are used", self.student, name, new, old)
        elif attr == "checksum":
            self.log.warning("%s changed the locked cell %s; it is graded as released", self.student, name)
        else:
            self.log.warning("%s changed the %s of cell %s (should be %s, got %s); the release's is used",
                             self.student, attr, name, old, new)

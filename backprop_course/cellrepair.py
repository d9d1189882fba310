"""Repair of a submission's duplicated or renamed graded cells, before nbgrader grades it (nbgrader #1083)."""
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor


class DropDuplicateGradedCells(NbGraderPreprocessor):
    """Sanitize step: keep only the first cell of each known grade_id.

    nbgrader's DeduplicateIds blanks the metadata of all but the last copy of
    a duplicated cell, and the blanked cell then stops the whole autograde
    run as "old metadata format" (nbgrader #1083); a cell whose grade_id was
    renamed stops it as "corrupted metadata". Dropping extra copies and cells
    the gradebook does not know first lets the submission, and everyone after
    it, be graded normally: a renamed test counts as a deleted one (0 points).
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cells in (notebook.grade_cells, notebook.solution_cells, notebook.task_cells,
                                             notebook.source_cells) for cell in cells}
        seen, kept = set(), []
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id is not None and (grade_id in seen or grade_id not in known):
                self.log.warning("Dropping cell %r: a duplicate, or unknown to the gradebook", grade_id)
                continue
            seen.add(grade_id)
            kept.append(cell)
        nb.cells = kept
        return nb, resources

"""Keep hidden tests out of the feedback that students receive.

nbgrader's feedback shows each test cell as it ran, hidden tests included
(nbgrader issue #917, closed "by design"), and a failed assert's traceback
quotes the line that failed, reference values and all. This preprocessor,
registered in nbgrader_config.py for ``GenerateFeedback``, cuts the hidden
region out of every test cell and reduces every error in a test cell to its
one-line message, which our checks write for students.
"""
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import List, Unicode
from nbgrader.utils import is_grade, is_solution

HIDDEN_PLACEHOLDER = "# (hidden tests ran here; their messages, if any, are shown below)"


def is_test_cell(cell):
    """An autograded test cell: a graded code cell that is not the student's answer."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def error_message_only(output):
    """An error output reduced to 'Name: message', with no traceback lines."""
    summary = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    output["traceback"] = [summary]
    return output


class HideHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, for feedback: hidden regions and tracebacks leave every test cell.

    It finds the regions by the same settings (``begin_test_delimeter``,
    ``end_test_delimeter``) as the release did. Where the release's step
    stops the whole command on a malformed region, this one cannot: a
    student's cell is not a test cell and is left alone, and in a test cell
    an unterminated region hides everything after its start (when in doubt,
    show less). The region becomes one placeholder line, so that students
    see where the hidden tests ran.
    """

    # nbconvert's HTML exporter configures this for every NbConvertBase; like
    # nbgrader's GetGrades, declare it configurable, or traitlets warns
    # "Config option display_data_priority not recognized" on every run.
    display_data_priority = List(Unicode(), GetGrades.class_traits()["display_data_priority"].default_value
                                 ).tag(config=True)

    def _remove_hidden_test_region(self, cell):
        kept, hiding, removed = [], False, False
        for line in cell.source.split("\n"):
            if self.begin_test_delimeter in line:
                if not hiding:
                    kept.append(line[: len(line) - len(line.lstrip())] + HIDDEN_PLACEHOLDER)
                hiding = removed = True
            elif self.end_test_delimeter in line and hiding:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell.source = "\n".join(kept)
        return removed

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            self._remove_hidden_test_region(cell)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    error_message_only(output)
        return cell, resources

"""Keep hidden tests out of the feedback that students receive.

nbgrader's feedback shows each test cell as it ran, hidden tests included
(nbgrader issue #917, closed "by design"), and a failed assert's traceback
quotes the line that failed, reference values and all. This preprocessor,
registered in nbgrader_config.py for ``GenerateFeedback``, cuts the hidden
region out of every test cell and reduces every error in a test cell to its
one-line message, which our checks write for students.
"""
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .markers import BEGIN_HIDDEN, END_HIDDEN

HIDDEN_PLACEHOLDER = "# (hidden tests ran here; their messages, if any, are shown below)"


def without_hidden_tests(source):
    """The source with every hidden-test region replaced by one comment line.

    An unterminated region hides everything after its start: when in doubt,
    show less.
    """
    kept, hiding = [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN in line:
            if not hiding:
                kept.append(line[: len(line) - len(line.lstrip())] + HIDDEN_PLACEHOLDER)
            hiding = True
        elif END_HIDDEN in line and hiding:
            hiding = False
        elif not hiding:
            kept.append(line)
    return "\n".join(kept)


def is_test_cell(cell):
    """An autograded test cell: a graded code cell that is not the student's answer."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def error_message_only(output):
    """An error output reduced to 'Name: message', with no traceback lines."""
    summary = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    output["traceback"] = [summary]
    return output


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden tests and tracebacks from test cells before feedback is rendered.

    Based on nbgrader's preprocessor class because nbconvert's is disabled by default.
    """

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            cell.source = without_hidden_tests(cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    error_message_only(output)
        return cell, resources

"""What a notebook cell is to grading, read from its nbgrader metadata.

One definition, used by the sandbox, the judge and the pages alike.
"""
from nbformat import NotebookNode
from nbgrader.utils import is_grade, is_solution, is_task


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: a graded code cell that is not the student's answer."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_hand_graded(cell: NotebookNode) -> bool:
    """A cell that a TA grades: an answer worth points, or a task."""
    return (is_grade(cell) and is_solution(cell)) or is_task(cell)

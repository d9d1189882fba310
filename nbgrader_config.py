"""nbgrader configuration of the backprop course.

The repository root is the nbgrader course directory: source/, release/,
submitted/, autograded/, feedback/ and gradebook.db live here for the real
class. The demo (`make demo`) copies this file into its own throw-away course
directory, demo/, so made-up students never enter the real gradebook.

This file imports the course package, so run nbgrader from the course's
virtual environment (`make setup` creates it; then `. .venv/bin/activate`).
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from backprop_course import ASSIGNMENTS
from backprop_course.feedback import HideHiddenTests

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "backprop"
# nbgrader has no setting that lists assignments: it learns each one when
# `nbgrader generate_assignment` runs. `make release` releases all of these,
# in this order.
COURSE_ASSIGNMENTS = list(ASSIGNMENTS)

# Shipped beside each notebook: data, gradecheck.py and helper modules.
# Never release editor litter.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

# Per-cell limit while autograding. nbgrader reads Execute.timeout; it ignores
# ExecutePreprocessor.timeout. Every cell of both notebooks runs in well under
# 10 s on the reference solution; training is bounded under autograde.
c.Execute.timeout = 60

# Feedback: nbgrader's defaults plus our filter that keeps hidden tests,
# reference values and tracebacks out of what students see (nbgrader #917).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTests]

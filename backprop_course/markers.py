"""The region markers of nbgrader's source notebooks, as this course writes them.

nbgrader's ClearSolutions and ClearHiddenTests find these lines (their
``begin_solution_delimeter`` and ``begin_test_delimeter`` settings, after a
comment mark); the course's own tools find the same lines with these names.
"""
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

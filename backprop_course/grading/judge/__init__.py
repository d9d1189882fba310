"""What decides the grade, in the nbgrader process, out of reach of student code.

The kernel's probe records are data; ``verdicts`` judges them against the
assignment's trusted unit. The other modules keep the gradebook honest:
cells repaired, tampering flagged, a TA's grading kept.
"""

"""What runs inside nbgrader, set in the course's nbgrader_config.py, in three parts.

- ``sandbox``: where a student's code runs, and the bounds on what it can send back;
- ``judge``: what decides the grade, in the nbgrader process, from what the kernel reported;
- ``pages``: what students and TAs read (feedback, formgrader's page).

``cells`` says what a cell is to grading, for all three.
"""

"""What must never reach students, and a scanner that looks for it.

The secrets of a source notebook are the lines of its solutions and hidden
tests that appear nowhere else in it, and the reference values: the long
numeric literals of its hidden tests, if any, and the values the trusted
judge expects at the notebook's own inputs (seed 310), computed from the
reference solution. Release folders and feedback HTML are scanned for them.
"""
import html
import re
from pathlib import Path
from dataclasses import dataclass
from html.parser import HTMLParser

import nbformat

from backprop_course import REPO_ROOT
from backprop_course.markers import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION

REGIONS = {"solution": (BEGIN_SOLUTION, END_SOLUTION), "hidden": (BEGIN_HIDDEN, END_HIDDEN)}
# A literal with six or more significant digits is a computed value, not a
# test input like 0.5 or 3.
REFERENCE_NUMBER = re.compile(r"-?\d+\.\d*[1-9]\d*")
MIN_SECRET_LINE = 12  # shorter lines ("return w") are too generic to attribute


@dataclass
class Secrets:
    solution_lines: set
    hidden_lines: set
    reference_values: set


def split_regions(source):
    """(lines inside each region kind, lines outside every region)."""
    inside = {kind: [] for kind in REGIONS}
    outside, current = [], None
    for line in source.splitlines():
        stripped = line.strip()
        begin = next((kind for kind, (start, _) in REGIONS.items() if stripped == start), None)
        if begin:
            current = begin
        elif current and stripped == REGIONS[current][1]:
            current = None
        elif current:
            inside[current].append(stripped)
        else:
            outside.append(stripped)
    return inside, outside


def significant_prefix(literal, digits=6):
    """The literal cut after ``digits`` significant digits: '0.27880021' -> '0.278800'."""
    sign = "-" if literal.startswith("-") else ""
    body = literal.lstrip("-")
    count, cut = 0, len(body)
    for position, char in enumerate(body):
        if char.isdigit() and (count or char != "0"):
            count += 1
            if count == digits:
                cut = position + 1
                break
    return sign + body[:cut]


def notebook_secrets(path):
    notebook = nbformat.read(path, as_version=4)
    inside = {kind: set() for kind in REGIONS}
    outside = set()
    for cell in notebook.cells:
        regions, rest = split_regions(cell.source)
        for kind, lines in regions.items():
            inside[kind].update(lines)
        outside.update(rest)
    def keep(lines):
        return {line for line in lines - outside if len(line) >= MIN_SECRET_LINE}
    literals = [match for line in inside["hidden"] for match in REFERENCE_NUMBER.findall(line)]
    numbers = {significant_prefix(literal) for literal in literals + judged_reference_values(path, notebook)
               if sum(char.isdigit() for char in literal.lstrip("-0.")) >= 6}
    return Secrets(keep(inside["solution"]), keep(inside["hidden"]), numbers)


def judged_reference_values(path, notebook):
    """The numbers the judge expects at the notebook's own inputs, as decimal literals."""
    from backprop_course.grading.cells import is_test_cell
    from backprop_course.grading.judge.verdicts import Reference

    folder = Path(path).resolve().parent
    reference = Reference.of(REPO_ROOT, REPO_ROOT / "source" / folder.name, folder.name)
    values = []
    for cell in filter(is_test_cell, notebook.cells):
        for case in reference.cases(cell.metadata["nbgrader"]["grade_id"], 0):
            if case.probe == "seed-310":
                values += [format(value, ".20f").rstrip("0") for value in reference.expected(case).ravel()]
    return values


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(markup):
    """The visible text of an HTML page, so highlighted code reads as plain lines."""
    parser = _TextExtractor()
    parser.feed(markup)
    return html.unescape("".join(parser.parts))


def found_secrets(text, secrets, allowed_text=""):
    """The secrets present in ``text`` that are not also in ``allowed_text``.

    Code secrets are whole lines (so a hidden ``from m import a`` is not found
    inside a visible ``from m import a, b``); reference values are found
    anywhere. ``allowed_text`` is what the student already has: the release,
    and their own submission, whose code and printed output are theirs.
    """
    lines = {line.strip() for line in text.splitlines()}
    allowed_lines = {line.strip() for line in allowed_text.splitlines()}
    hits = [f"{kind}: {line}" for kind, items in (("solution line", secrets.solution_lines),
                                                  ("hidden test line", secrets.hidden_lines))
            for line in sorted(items & lines - allowed_lines)]
    hits += [f"reference value: {value}" for value in sorted(secrets.reference_values)
             if value in text and value not in allowed_text]
    return hits

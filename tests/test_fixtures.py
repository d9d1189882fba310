"""The example class is a class: its made-up students write their own discussion answers."""
from collections import Counter

import nbformat

from backprop_course import REPO_ROOT
from support.submissions import FIXTURES_DIR, OWN_ANSWERS, answer_cells, solution_text


def test_the_example_students_write_their_own_answers_some_good_some_poor():
    source = answer_cells(nbformat.read(REPO_ROOT / "source" / "chain_rule" / "chain_rule.ipynb", as_version=4))
    for grade_id, choices in OWN_ANSWERS.items():
        written = Counter()
        for path in sorted((FIXTURES_DIR / "chain_rule").glob("*/chain_rule.ipynb")):
            cells = answer_cells(nbformat.read(path, as_version=4))
            written[cells[grade_id].source] += 1
        model = solution_text(source[grade_id].source)
        assert model not in written, f"an example student hands in the model answer of {grade_id}"
        assert set(written) - {"YOUR ANSWER HERE"} == set(choices), f"not every kind of answer to {grade_id} is used"

"""Regenerate data/backprop.csv and the copy shipped in source/chain_rule/.

Run: .venv/bin/python data/generate_backprop_csv.py
The generator itself lives in backprop_course.authoring.data; tests check that both
committed files equal its output byte for byte.
"""
from backprop_course import REPO_ROOT
from backprop_course.authoring.data import write_backprop_csv

for target in (REPO_ROOT / "data" / "backprop.csv",
               REPO_ROOT / "source" / "chain_rule" / "backprop.csv"):
    write_backprop_csv(target)
    print(f"wrote {target.relative_to(REPO_ROOT)}")

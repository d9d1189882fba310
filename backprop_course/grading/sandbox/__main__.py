"""``python -m backprop_course.grading.sandbox``: the launcher's command line (launcher.main)."""
from .launcher import main

main()

"""What students and TAs read: the feedback page and formgrader's grading page, with students' HTML made inert."""

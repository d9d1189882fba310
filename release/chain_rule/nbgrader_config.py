"""Settings for `nbgrader validate`, when you run it in this folder to check your work.

They only make validate's output easier to read. Nothing here changes how
your notebook is graded.
"""
c = get_config()  # noqa: F821 -- nbgrader provides get_config

# The kernel warns that it talks over unencrypted TCP: a concern for servers,
# not for validating on your own machine, and it hides the messages that matter.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

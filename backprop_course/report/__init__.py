"""The class report: HTML pages rendered from Jinja2 templates (templates/), and CSV exports."""
from .render import normalise_message, write_reports

__all__ = ["normalise_message", "write_reports"]

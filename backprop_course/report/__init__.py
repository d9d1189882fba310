"""The class report: HTML pages rendered from Jinja2 templates (templates/), and CSV exports."""
from .render import write_reports

__all__ = ["write_reports"]

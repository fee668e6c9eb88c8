"""playdash-gate: a CI quality gate for Playwright runs reported to NeetoPlaydash."""

__version__ = "0.1.0"

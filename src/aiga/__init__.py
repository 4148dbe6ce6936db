"""aiga: AI-generating algorithms (POET and its family), faithful to their papers."""

__version__ = "0.1.0"

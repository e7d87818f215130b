"""Preflight: is the data behind a Generative-AI use case ready to launch?"""

__version__ = "0.1.0"

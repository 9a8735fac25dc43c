"""gridgov: an agent-based model of joint enforcement (联勤联动) in urban grid management.

The model lives in the packages ``institutions`` (rules as data), ``agents`` (who acts) and
``coordination`` (where they meet); this package holds the command line on top.
"""

from importlib.metadata import version

__version__ = version("gridgov")
"""The installed distribution's version (from pyproject.toml)."""

"""gridgov: an agent-based model of joint enforcement (联勤联动) in urban grid management.

The model lives in the packages ``institutions`` (rules as data), ``agents`` (who acts) and
``coordination`` (where they meet); this package holds the command line on top.
"""

__version__ = "0.1.0"

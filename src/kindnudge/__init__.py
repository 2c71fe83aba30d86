"""kindnudge: gentle desktop nudges for getting over an ex who pushed you away."""

__version__ = "0.1.0"

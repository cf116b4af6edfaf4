"""Runtime helpers for the NumPy rules (reached as `ad.`)."""
import numpy as np  # noqa: F401

"""Runtime helpers for the linear algebra rules (reached as `ad.`)."""
import numpy as np  # noqa: F401

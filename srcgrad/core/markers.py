"""Functions users call inside differentiated code to steer srcgrad.

They are plain Python outside srcgrad; the transformations recognise them by identity.
"""

from __future__ import annotations


def stop_gradient(x):
    """Identity in value, zero derivative (PyTorch's ``detach()``)."""
    return x

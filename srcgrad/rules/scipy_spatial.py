"""Rules for ``scipy.spatial.distance.cdist`` with the metrics 'euclidean' (its default) and
'sqeuclidean': each entry is a function of ``xa[i] - xb[j]``, so row ``i`` of ``xa`` gets
``sum_j w_ij (xa[i] - xb[j])`` with ``w = sg.distance_slopes(g, ans, metric)`` (``g / d``
or ``2 g``), and row ``j`` of ``xb`` the negative of its share. Another metric is refused
when the rule runs.
"""

import numpy as np
from scipy.spatial import distance

from .. import runtime as sg
from .registry import defjvp, real_input_rules

defvjp_real, defjvp_real = real_input_rules()


@defvjp_real(distance.cdist)
def cdist(g, ans, XA, XB, metric="euclidean"):
    w = sg.distance_slopes(g, ans, metric)
    return (
        np.sum(w, axis=1)[:, None] * XA - w @ XB,
        np.sum(w, axis=0)[:, None] * XB - w.T @ XA,
    )


@defjvp_real(distance.cdist)
def cdist_jvp(dXA, dXB, ans, XA, XB, metric="euclidean"):
    """Half the tangent of the squared distance, ``(xa_i - xb_j) . (dxa_i - dxb_j)``, per unit
    of squared distance (``distance_slopes`` of it)."""
    half = (
        np.sum(XA * dXA, axis=1)[:, None] - dXA @ XB.T - XA @ dXB.T + np.sum(XB * dXB, axis=1)[None, :]
    )
    return sg.distance_slopes(half, ans, metric)


@defjvp(sg.distance_slopes)
def distance_slopes_jvp(dg, dd, ans, g, d, metric="euclidean", at=None):
    return sg.distance_slopes_tangent(dg, dd, g, d, metric)

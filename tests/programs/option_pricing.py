"""Calibrating a volatility smile to option prices with the Black-Scholes formula.

The scalar pricing formula is applied over a grid of strikes and maturities
with ``np.vectorize`` of a ``lambda`` that closes over the smile's parameters.
"""

import numpy as np
from scipy.stats import norm


def call_price(spot, strike, rate, vol, maturity):
    d1 = (np.log(spot / strike) + (rate + 0.5 * vol**2) * maturity) / (vol * np.sqrt(maturity))
    d2 = d1 - vol * np.sqrt(maturity)
    return spot * norm.cdf(d1) - strike * np.exp(-rate * maturity) * norm.cdf(d2)


def smile(params, strike, spot):
    """Implied volatility as a parabola in moneyness: level * (1 + curvature * m^2)."""
    moneyness = (strike - spot) / spot
    return np.exp(params[0]) * (1.0 + params[1] * moneyness**2)


def loss(params, strikes, maturities, market_prices, spot=100.0, rate=0.01):
    price = np.vectorize(lambda k, t: call_price(spot, k, rate, smile(params, k, spot), t))
    model_prices = price(strikes, maturities)
    return np.mean((model_prices - market_prices) ** 2)


def example():
    rs = np.random.RandomState(19)
    strikes, maturities = np.meshgrid([80.0, 90.0, 100.0, 110.0, 120.0], [0.5, 1.0])
    true_vols = 0.2 * (1.0 + 2.0 * ((strikes - 100.0) / 100.0) ** 2)
    market = call_price(100.0, strikes, 0.01, true_vols, maturities) + 0.05 * rs.randn(*strikes.shape)
    return np.array([np.log(0.25), 1.0]), strikes, maturities, market

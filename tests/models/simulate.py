"""Simulated log levels of remittance-like series with known parameters, for the model tests."""

from __future__ import annotations

import numpy as np

from models.series import FloatArray


def airline_log_level(
    rng: np.random.Generator, n: int, theta: float, seasonal_theta: float, sigma: float
) -> FloatArray:
    """log(USD level) of a (0,1,1)(0,1,1,12) process: (1-B)(1-B^12) x = (1+θB)(1+ΘB^12) e."""
    e = rng.normal(0.0, sigma, n + 13)
    w = e[13:] + theta * e[12:-1] + seasonal_theta * e[1:-12] + theta * seasonal_theta * e[:-13]
    seasonal = np.zeros(n)
    for t in range(n):
        seasonal[t] = (seasonal[t - 12] if t >= 12 else 0.0) + w[t]
    pattern = 0.15 * np.sin(2 * np.pi * np.arange(12) / 12)
    return 12.0 + np.cumsum(seasonal) + pattern[np.arange(n) % 12]

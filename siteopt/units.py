"""Amounts in the words a reader uses: euros, megawatts, people (no imports: every layer may
use it).

Examples
--------
>>> eur(19.97e9), eur(3.6e6), eur(-0.45e9, digits=1)
('EUR 19.97 bn', 'EUR 3.6 m', '-EUR 0.5 bn')
>>> people(357_412_000), people(24_100), mw(3150)
('357.4 m people', '24,100 people', '3,150 MW')
"""

from __future__ import annotations


def eur(amount: float, digits: int = 2) -> str:
    """``EUR 4.20 bn`` from EUR 100 m on (``digits`` decimals), else ``EUR 3.6 m``."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e8 or amount == 0:
        return f"{sign}EUR {amount / 1e9:,.{digits}f} bn"
    return f"{sign}EUR {amount / 1e6:,.1f} m"


def people(count: float) -> str:
    """``357.4 m people`` from a million on, else ``24,100 people``."""
    if abs(count) >= 1e6:
        return f"{count / 1e6:,.1f} m people"
    return f"{count:,.0f} people"


def mw(power: float) -> str:
    """``3,150 MW``."""
    return f"{power:,.0f} MW"

"""Amounts in the words a reader uses: euros, megawatts, people (no imports: every layer may
use it).

Examples
--------
>>> eur(19.97e9), eur(3.6e6), eur(-0.45e9, digits=1)
('EUR 19.97 bn', 'EUR 3.6 m', '-EUR 0.5 bn')
>>> people(357_412_000), people(24_100), mw(3150)
('357.4 m people', '24,100 people', '3,150 MW')
>>> changes(-1.6e6, 0.8e9, 0.2, radius_km=500)
['1.6 m fewer people within 500 km', 'EUR 0.80 bn more capex']
"""

from __future__ import annotations


#: Kilometres per millisecond of round trip over fibre, as siteopt reports latency (there and
#: back with the routing overhead of real networks: 500 km is about 10 ms).
KM_PER_ROUND_TRIP_MS = 50.0


def round_trip_ms(distance_km: float) -> float:
    """A distance (km) as round-trip milliseconds over fibre: ``round_trip_ms(500) == 10.0``."""
    return distance_km / KM_PER_ROUND_TRIP_MS


def eur(amount: float, digits: int = 2) -> str:
    """``EUR 4.20 bn`` from EUR 100 m on (``digits`` decimals), else ``EUR 3.6 m``."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e8 or amount == 0:
        return f"{sign}EUR {amount / 1e9:,.{digits}f} bn"
    return f"{sign}EUR {amount / 1e6:,.1f} m"


def people(count: float, noun: str = "people") -> str:
    """``357.4 m people`` from a million on, else ``24,100 people``."""
    if abs(count) >= 1e6:
        return f"{count / 1e6:,.1f} m {noun}"
    return f"{count:,.0f} {noun}"


def count(number: int, singular: str, plural: str | None = None) -> str:
    """A whole number with its noun in the right number.

    >>> count(1, "country", "countries"), count(16, "country", "countries"), count(2, "site")
    ('1 country', '16 countries', '2 sites')
    """
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def mw(power: float) -> str:
    """``3,150 MW``."""
    return f"{power:,.0f} MW"


def changes(people_change: float, capex_change_eur: float, power_change_mw: float,
            radius_km: float) -> list[str]:
    """What one answer gives against another, in words: ``1.6 m more people within 500 km``,
    ``EUR 0.80 bn less capex``, ``100 MW more power``; changes under one unit are left out.

    Parameters
    ----------
    people_change : float
        Change in people within ``radius_km`` (km) of a member site.
    capex_change_eur : float
        Change in capital cost, EUR.
    power_change_mw : float
        Change in effective power, MW.
    """
    said = []
    if abs(people_change) >= 0.5:
        said.append(people(abs(people_change), f"{'more' if people_change > 0 else 'fewer'} "
                                               f"people within {radius_km:g} km"))
    if abs(capex_change_eur) >= 0.5:
        said.append(f"{eur(abs(capex_change_eur))} "
                    f"{'more' if capex_change_eur > 0 else 'less'} capex")
    if abs(power_change_mw) >= 0.5:
        said.append(f"{mw(abs(power_change_mw))} {'more' if power_change_mw > 0 else 'less'} power")
    return said

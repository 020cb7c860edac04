r"""The consolidation model: gigafactories formed from candidate sites, as one integer program.

A **gigafactory** is a set of 1..M member sites. Every set the rules allow is a candidate
:math:`g \in \mathcal{G}` (see :mod:`siteopt.candidates`: members eligible, at most M of them,
pairwise within the link distance, in one member state or, across borders, in at most a given
number of states, summed power within :math:`[m^{GF}_{\min}, P]`). The model packs candidates.

Formulation
-----------
.. math::

    \max\quad & w_C C + w_G G + w_K K + w_E E + w_R R + w_L L - w_X X \\
    C &= \tfrac{1}{A}\textstyle\sum_d a_d z_d, \quad
    G = \tfrac{1}{pP}\textstyle\sum_s m_s y_s, \quad
    K = \tfrac{1}{p}\textstyle\sum_c u_c, \quad
    E = \tfrac{1}{pP}\textstyle\sum_s e_s m_s y_s, \quad
    R = \tfrac{1}{pP}\textstyle\sum_s r_s m_s y_s \\
    L &= \tfrac{1}{|\mathcal{L}|}\textstyle\sum_l h_l, \quad
    X = \tfrac{1}{X_{\mathrm{ref}}}\Big(\textstyle\sum_g k_g x_g + \sum_s o_s y_s\Big) \\
    \text{s.t.}\quad
    & y_s = \textstyle\sum_{g \ni s} x_g                     && \forall s \quad \text{(site\_s)} \\
    & \textstyle\sum_g x_g \le p                            && \text{(max\_gigafactories)} \\
    & \textstyle\sum_g k_g x_g \le B                        && \text{(budget)} \\
    & \textstyle\sum_s m_s y_s \le T                        && \text{(total\_power)} \\
    & \textstyle\sum_{g \ni c} x_g \le q                    && \forall c \quad \text{(bids\_c)} \\
    & u_c \le \textstyle\sum_{s \in S_c} y_s                && \forall c \quad \text{(spread\_c)} \\
    & \textstyle\sum_c u_c \le p                            && \text{(spread\_cap)} \\
    & z_d \le \textstyle\sum_{s \in N_d} y_s \ \text{ or } \
      z_d \le \textstyle\sum_{g \cap N_d \ne \emptyset} x_g && \forall d \quad \text{(reach\_d)} \\
    & h_l \le \textstyle\sum_{s \in H_l} y_s                && \forall l \quad \text{(home\_l)} \\
    & y_s = 1 \ \text{if } s \text{ required}; \quad
      x_g \in \{0, 1\}, \quad y_s, z_d, u_c, h_l \in [0, 1]

Symbols
-------
==================  ========================  ======================================================
symbol              code name                 meaning (unit)
==================  ========================  ======================================================
:math:`x_g`         ``gigafactory_open[g]``   1 if candidate g is chosen (LP name ``gf_<members>``)
:math:`y_s`         ``site_open[s]``          1 if site s is a member of a chosen gigafactory
                                              (``open_<site_id>``)
:math:`z_d`         ``demand_covered[d]``     demand group d within R of a member (``cover_<d>``)
:math:`u_c`         ``country_used[c]``       member state c takes part (``represented_<c>``)
:math:`h_l`         ``letter_homed[l]``       letter l's consortium finds a home (``home_<l>``)
:math:`a_d, A`      ``group_population``      people in demand group d; in all points
:math:`N_d`         ``group_sites``           the eligible sites within R of every point of d
:math:`H_l`         ``letter_homes``          sites that give letter l a home: those of its member
                                              state, and with cross_border those within
                                              ``consolidation.radius_km`` of its site
:math:`S_c`         ``site_country``          the sites in member state c
:math:`m_s`         ``effective_mw``          min(power_mw, grid_mw, P) (MW)
:math:`e_s`         ``clean_share``           max(0, 1 - g_s / g_ref), g_s the CO2 intensity of
                                              the site's electricity (g/kWh)
:math:`r_s`         ``renewable_share``       renewable share of the site's electricity (0..1)
:math:`k_g`         ``Candidates.capex_eur``  members' capex + extra-site cost per member beyond
                                              the first (EUR)
:math:`o_s`         ``energy_cost_eur``       electricity over the costed years: m_s PUE_s u 8760 h
                                              price_s years (EUR)
:math:`B, T`        ``budget_eur``,           budget (EUR); most total effective power (MW)
                    ``total_power_mw``
:math:`p, q`        ``max_gigafactories``,    most gigafactories; most per member state
                    ``max_bids_per_country``
:math:`P`           ``power_cap_mw``          most power of one gigafactory (MW)
:math:`X_{ref}`     ``cost_reference_eur``    lifetime cost that makes X = 1 (EUR)
:math:`w_*`         ``weights``               objective weights (>= 0)
==================  ========================  ======================================================

**One bid per member state** (q = 1, members in one state): the sites a state uses then form
its one gigafactory, so no candidate is needed. The *compact form* replaces :math:`x_g` by a
binary :math:`b_c` (state c bids) and the candidate rows by rows per state and per pair:

.. math::

    & y_s \le b_{c(s)}, \quad b_c \le \textstyle\sum_{s \in S_c} y_s, \quad
      \textstyle\sum_{s \in S_c} y_s \le M b_c
      && \text{(member\_s, bid\_open\_c, bid\_members\_c)} \\
    & m^{GF}_{\min} b_c \le \textstyle\sum_{s \in S_c} m_s y_s \le P b_c
      && \text{(bid\_min\_power\_c, bid\_power\_c)} \\
    & \textstyle\sum_{s \in Q} y_s \le b_c \quad \text{for } Q \subseteq S_c
      \text{ of which no two can share a gigafactory}
      && \text{(link\_a\_b, clique\_k)} \\
    & \textstyle\sum_c b_c \le p, \quad
      \textstyle\sum_s (k_s + e) y_s - e \textstyle\sum_c b_c \le B
      && \text{(max\_gigafactories, budget)}

(pairs more than the link distance apart, over P together or over the budget together; the
pairs are gathered into cliques, :attr:`SelectionInstance.conflict_cliques`, one row each),
with :math:`e` the extra-site cost, :math:`u_c = b_c`, :math:`h_l \le b_{c(l)}`, and the
reach rows over the sites plus :math:`z_d \le \sum_{c:\,S_c \cap N_d \ne \emptyset} b_c`
(a state counts once). Both forms have the same optima (brute-force tests check each).

The reach row has two exact forms: over the sites, or over the candidates with a member in
:math:`N_d` (tighter, since one multi-site candidate then counts once; used unless it has more
than :data:`CANDIDATE_REACH_RATIO` times the non-zeros). Every term lies in [0, 1] (X reaches
1 at :math:`X_{ref}`). K counts the member states taking
part, at most p of them (the cap only binds across borders). With M = 1 every candidate is one
site and the model is the single-site model of earlier versions.

Demand points covered by exactly the same set of eligible sites share one :math:`z_d` (their
populations summed); points no eligible site covers are dropped (they count in :math:`A`).
The builder takes numbers only, so a 3-site instance can be written by hand in a test
(see :mod:`siteopt.examples`).
"""

from __future__ import annotations

import importlib

from siteopt.model.selection import (
    CANDIDATE_REACH_RATIO,
    SelectionInstance,
    compact_objective,
    cover_sets_over_candidates,
    exclusion_rows,
    gigafactory_labels,
    gigafactory_objective,
    lp_names,
    site_objective,
    site_set,
)
from siteopt.terms import TERMS

#: Names of the PuLP formulation, imported (with PuLP) when first used.
_FORMULATION = ("BuiltModel", "build_model", "objective_expression", "term_expression")

__all__ = ["CANDIDATE_REACH_RATIO", "SelectionInstance", "TERMS", "compact_objective",
           "cover_sets_over_candidates", "exclusion_rows", "gigafactory_labels",
           "gigafactory_objective", "lp_names", "site_objective", "site_set", *_FORMULATION]


def __getattr__(name: str):
    if name not in _FORMULATION:
        raise AttributeError(f"module 'siteopt.model' has no attribute {name!r}")
    return getattr(importlib.import_module("siteopt.model.formulation"), name)

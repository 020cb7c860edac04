"""The decision analyses as sections of the HTML report (``siteopt report --with ...``).

Each section has a heading, what the analysis asked and found in plain words, its table and
its figures. Every text from the data is escaped.
"""

from __future__ import annotations

import html

from siteopt.report.htmlparts import kept_whole, paragraphs, png_img, table_html
from siteopt.summary import named_sites_caveat
from siteopt.units import count


def caution_html(analysis, dataset, where: str = "below") -> str:
    """An analysis's caveat as a paragraph: which of the sites it names (``where``, seen from
    the paragraph) have illustrative figures in ``dataset``; empty without any."""
    caveat = named_sites_caveat(analysis.named_sites(), dataset, where)
    return f"<p class='caveats'>{kept_whole(caveat)}</p>" if caveat else ""


def _alternatives(ranking, dataset) -> str:
    what = (f"differ from it and from each other as much as possible within "
            f"{ranking.within:.0%} of its objective" if ranking.diverse else
            "are the next best, each proven: no portfolio lies between two rows")
    return "\n".join([
        "<h2 id='alternatives-section'>What else is nearly as good</h2>",
        caution_html(ranking, dataset),
        f"<p>The optimum and the portfolios that {what}. <i>Gap to best</i> is how much lower "
        "each objective is; <i>sites in/out</i> are the member sites each adds to or drops "
        "from the optimum.</p>",
        table_html(ranking.table(), ranking.FORMATS, "alternatives"),
        png_img(ranking.plot(), "bars of the objective of each portfolio",
                "alternatives-chart"),
    ])


def _explain(explanation, dataset) -> str:
    sentences = "".join(f"<li>{kept_whole(site.sentence())}</li>"
                        for site in explanation.sites)
    return "\n".join([
        "<h2 id='explain-section'>Why these sites are in or out</h2>",
        caution_html(explanation, dataset),
        "<p>Each site forced the other way (in if it is out, out if it is in), every limit "
        "kept; the regret is what Europe's objective loses by that, and the capex at which the "
        "answer would change is found by exact re-solves to EUR 10 m.</p>",
        f"<ul id='explain'>{sentences}</ul>",
        table_html(explanation.table(), explanation.FORMATS, "explain-table"),
    ])


def _sweep(result, dataset) -> str:
    lines = result.breakpoint_lines()
    changes = "".join(f"<li>{kept_whole(line)}</li>" for line in lines)
    return "\n".join([
        f"<h2 id='sweep-section'>What changes the answer: {html.escape(', '.join(result.keys))}"
        "</h2>",
        caution_html(result, dataset),
        f"<p>Every point solved exactly. {html.escape(result.breakpoint_heading())}</p>"
        + (f"<ul id='breakpoints'>{changes}</ul>" if lines else ""),
        png_img(result.plot(), "people within reach, capex used and the weighted terms "
                               "against the swept value, breakpoints marked", "sweep-chart"),
        table_html(result.shown_table(), {"objective": ".4f", "capex (EUR bn)": ".2f",
                                          "MW": ",.0f", "people (m)": ".1f"}, "sweep"),
    ])


def _weights(ranges, dataset) -> str:
    return "\n".join(["<h2 id='weights-section'>How far each weight may move</h2>",
                      caution_html(ranges, dataset), weights_html(ranges)])


def weights_html(ranges, answer: str = "today's answer") -> str:
    """The weight ranges (:class:`~siteopt.analysis.weights.WeightRanges`) as the report and
    the explorer show them: the summary, the chart and the table, the ranges' answer called
    ``answer``."""
    return "\n".join([
        f"<div id='weights-summary'>{paragraphs(ranges.summary_lines(answer.capitalize()))}"
        f"</div>",
        png_img(ranges.plot(answer=answer),
                f"Each weight's range over which {answer} stays optimal", "weights-chart"),
        table_html(ranges.shown(), {}, "weights",
                   f"Where {answer} holds, one weight at a time"),
    ])


def _pareto(front, dataset) -> str:
    table = front.table()
    table.insert(0, "#", range(1, len(table) + 1))
    whole = ("It is complete: no other portfolio lies on it." if front.complete else
             f"It is a sample of {len(table)} points spread along it.")
    return "\n".join([
        f"<h2 id='pareto-section'>Trade-off: {front.x} against {front.y}</h2>",
        caution_html(front, dataset),
        f"<p>Every portfolio that no other beats on both {front.x} and {front.y}, every rule "
        f"and limit kept (the other terms play no part; the objective column weighs all terms "
        f"as the model does). {whole}</p>",
        f"<p id='pareto-today'>{kept_whole(front.against_today())}</p>",
        png_img(front.plot(), f"Pareto front of {front.x} and {front.y}", "pareto-chart"),
        table_html(table, front.formats(), "pareto"),
    ])


def _robust(result, dataset) -> str:
    spread = result.spread
    return "\n".join([
        f"<h2 id='robust-section'>How sure: {count(len(result.draws), 'possible future')}</h2>",
        caution_html(result, dataset),
        f"<p>Each draw changes the data as the future might: capex times a log-normal factor "
        f"(log standard deviation {spread.capex_sd:g}), each site's grid connection slipping "
        f"past 2028 with probability {spread.grid_delay_prob:.0%}, electricity prices times a "
        f"log-normal factor ({spread.price_sd:g}); every draw is solved exactly.</p>",
        f"<div id='robust-summary'>{paragraphs(result.summary_lines())}</div>",
        f"<p>The draws' optima and today's, ranked by {html.escape(result.ranking)}:</p>",
        table_html(result.candidates.head(10), result.FORMATS, "robust"),
        png_img(result.plot_map(dataset), "map of how often each site is chosen",
                "robust-map"),
        png_img(result.plot(), "histogram of the regret of today's optimum", "robust-regret"),
    ])


def _robust_choice(result, dataset) -> str:
    return "\n".join([
        f"<h2 id='choice-section'>The robust choice: best across "
        f"{count(len(result.futures), 'future')}</h2>",
        f"<div id='choice-summary'>{paragraphs(result.summary_lines())}</div>",
        f"<p>The robust choice and today's optimum on "
        f"{count(result.test_draws, 'fresh draw')}:</p>",
        table_html(result.shown(), {}, "choice"),
        png_img(result.plot_map(dataset), "map of the robust choice with how often each "
                "member's grid slips", "choice-map"),
    ])


RENDERERS = {"Alternatives": _alternatives, "Explanation": _explain, "Sweep": _sweep,
             "WeightRanges": _weights, "ParetoFront": _pareto, "Robustness": _robust,
             "RobustChoice": _robust_choice}


def analysis_sections(analyses, dataset) -> list[str]:
    """One HTML section per analysis result (:mod:`siteopt.analysis`), in the given order."""
    return [RENDERERS[type(analysis).__name__](analysis, dataset) for analysis in analyses]

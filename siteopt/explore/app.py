"""The explorer's page: controls in, an exact answer out, after every change.

One :class:`ExplorerPage` per browser tab (or notebook cell) holds that tab's
:class:`~siteopt.explore.settings.Settings`; the :class:`~siteopt.explore.session.Explorer`
behind it (data, scenarios, kept answers) is shared. A change re-solves at once in a worker
thread; a change that arrives while a solve runs supersedes it: the running solve is asked to
stop and only the latest settings are solved and shown (no queue of stale answers).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import io
import time
from functools import partial

import panel as pn
from bokeh.events import ConnectionLost
from tornado.ioloop import IOLoop

from siteopt.errors import SiteoptError
from siteopt.explore.controls import Controls, fields
from siteopt.explore.session import DOWNLOADS, Answer, Explorer, difference
from siteopt.explore.settings import (
    EXCLUDED,
    FACTORS,
    REQUIRED,
    Settings,
    command_line,
    control_value,
    model_file,
    model_for,
    shown_values,
    weight_shares,
)
from siteopt.explore.views import (
    NEXT_STATE,
    ResultMap,
    answer_html,
    legend_html,
    plan_html,
    show_terms,
    site_state,
    sweep_figure,
    tables_html,
    terms_figure,
)
from siteopt.report.analyses import caution_html, weights_html
from siteopt.report.htmlparts import kept_whole, paragraphs
from siteopt.report.text import status_line
from siteopt.sanitize import error_lines, printable_text

#: A solve running longer than this shows its progress and the Stop button, s.
PROGRESS_AFTER_S = 0.3
#: What the status line adds while the runner-up of the answer on screen is being proven.
PROVING = " Proving the next best portfolio…"
#: How often (ms) a running decision-help task says how long it has run.
HELP_PROGRESS_MS = 1000
#: Budgets of the small sweep, EUR bn.
SWEEP_BUDGETS_BN = (5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40)
#: The answer area while its answer is not the controls' (greyed), on the area's own host.
STALE_STYLE = ":host(.stale) { opacity: 0.45; filter: grayscale(0.6); }"
STYLE = """
.siteopt-status { font: 600 14px system-ui, sans-serif; padding: 6px 10px; border-radius: 4px;
  background: #e8f1e4; color: #1b4d1b; }
.siteopt-status.failed { background: #fbe3e1; color: #7a1212; }
.siteopt-status.working { background: #fff4d6; color: #5c4300; }
.siteopt-notice { font: 14px/1.4 system-ui, sans-serif; padding: 6px 10px; border-radius: 4px;
  background: #fff4d6; color: #5c4300; border-left: 4px solid #b58100; }
:host(.siteopt-answer) { font: 14px/1.4 system-ui, sans-serif; }
:host(.siteopt-answer) table { border-collapse: collapse; margin: 6px 0 14px 0;
  font-size: 13px; }
:host(.siteopt-answer) caption { text-align: left; font-weight: 700; padding: 2px 0; }
:host(.siteopt-answer) th, :host(.siteopt-answer) td { border-bottom: 1px solid #ddd;
  padding: 3px 8px; text-align: left; vertical-align: top; }
:host(.siteopt-answer) td.num, :host(.siteopt-answer) th.num { text-align: right; }
#gigafactories td, #limits td, .id { white-space: nowrap; }
#sweep-lines { max-height: 14em; overflow-y: auto; border: 1px solid #ddd; padding: 4px 8px;
  font-size: 13px; }
#sweep-lines:focus-visible { outline: 2px solid #0072B2; }
#weights-chart { display: block; max-width: min(100%, 900px); height: auto; }
"""


class ExplorerPage:
    """One tab of the explorer.

    Parameters
    ----------
    explorer : Explorer
    served : bool
        True in a served app (solves run in a worker thread, the page stays responsive);
        False inline in a notebook (each change is solved before the cell returns).
    """

    def __init__(self, explorer: Explorer, served: bool = True):
        self.explorer = explorer
        self.settings = Settings(explorer.initial)
        self.served = served
        self.document = pn.state.curdoc if served else None
        self.loop = IOLoop.current() if served else None   # the page's thread
        self.pool = concurrent.futures.ThreadPoolExecutor(1) if served else None
        self.wanted: Settings | None = None
        self.running: Settings | None = None
        self.helping: float | None = None   # when the decision-help task running began
        self.closed = False   # the tab is gone: nothing more is started or shown
        self.help_tasks: list[concurrent.futures.Future] = []   # asked for, maybe not done
        self.started = 0.0
        self.shown: Answer | None = None
        self.before = None   # the result shown before the answer on screen
        self.scenario_results: dict[str, object] = {}
        self.site = ""
        self.answered = 0   # the number of the last page event handled
        self.alternatives = None
        self.downloads: dict[str, tuple[object, bytes]] = {}   # name -> (result, bytes)
        self._build()
        if served:   # no reconnection (Panel's default): a tab that lost its page is gone
            self.document.on_event(ConnectionLost, self._closed)
            self.document.on_session_destroyed(self._closed)   # one that never connected
        self.request(self.settings)

    # --- the page ------------------------------------------------------------------------
    def _build(self) -> None:
        explorer = self.explorer
        names = dict(zip(explorer.dataset.sites["site_id"], explorer.dataset.sites["name"]))
        self.controls = Controls(
            fields=fields(), scenarios=list(explorer.scenarios), scenario=self.settings.scenario,
            sites=[[s, printable_text(str(names[s]))] for s in explorer.site_ids],
            width=300)
        self.controls.param.watch(self._on_event, "event")
        self.status = pn.pane.HTML("", stylesheets=[STYLE], sizing_mode="stretch_width")
        self.notice = pn.pane.HTML("", stylesheets=[STYLE], sizing_mode="stretch_width")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", disabled=True,
                                             width=90)
        self.stop_button.on_click(lambda _: self._stop())
        self.headline = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"])
        self.map = ResultMap(explorer.dataset)
        self.clicks_seen = 0
        self.map.clicks.on_change("data", self._on_tap)
        self.map_pane = pn.pane.Bokeh(self.map.figure)
        self.legend = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"],
                                   width=760)
        self.tables = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"])
        self.plan = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"],
                                 sizing_mode="stretch_width")
        self.changes = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"])
        self.terms_chart, self.terms = terms_figure()
        self.terms_pane = pn.pane.Bokeh(self.terms_chart)
        # decision help
        self.alternatives_button = pn.widgets.Button(label="Alternatives", width=130)
        self.alternatives_button.on_click(lambda _: self._run(self._alternatives))
        self.alternative_choice = pn.widgets.Select(label="Show alternative", options=[],
                                                    width=380, disabled=True)
        self.alternative_choice.param.watch(self._show_alternative, "value")
        self.help_text = pn.pane.HTML("", stylesheets=[STYLE], css_classes=["siteopt-answer"],
                                      sizing_mode="stretch_width")
        self.sweep_button = pn.widgets.Button(label="Budget sweep", width=130)
        self.sweep_button.on_click(lambda _: self._run(self._sweep))
        self.weights_button = pn.widgets.Button(label="Weight ranges", width=130)
        self.weights_button.on_click(lambda _: self._run(self._weights))
        self.sweep_area = pn.Column()
        # take it further
        self.download_buttons = [
            pn.widgets.FileDownload(callback=partial(self._download, name), filename=name,
                                    label=f"Download {name}", width=200)
            for name in DOWNLOADS]
        self.model_text = pn.widgets.TextAreaInput(label="Model file", height=150, width=380,
                                                   disabled=True)
        self.command_text = pn.widgets.TextAreaInput(label="Command", height=70, width=380,
                                                     disabled=True)
        copy = "navigator.clipboard.writeText(area.value)"
        self.copy_model = pn.widgets.Button(label="Copy model file", width=150)
        self.copy_model.js_on_click(args={"area": self.model_text}, code=copy)
        self.copy_command = pn.widgets.Button(label="Copy command", width=150)
        self.copy_command.js_on_click(args={"area": self.command_text}, code=copy)
        self.answer_area = pn.Column(
            self.headline,
            pn.FlexBox(pn.Column(self.map_pane, self.legend),
                       pn.Column(self.tables, self.terms_pane),
                       flex_wrap="wrap", gap="0 12px", sizing_mode="stretch_width"),
            self.plan, self.changes, stylesheets=[STALE_STYLE])
        self.layout = pn.Row(
            pn.Column(pn.pane.HTML("<h2 style='font:700 18px system-ui;margin:4px 0'>"
                                   "siteopt explorer</h2>"), self.controls, width=320),
            pn.Column(
                self.notice,
                pn.Row(self.status, self.stop_button, sizing_mode="stretch_width"),
                self.answer_area,
                pn.pane.HTML("<h3 style='font:700 15px system-ui'>Decision help</h3>"),
                pn.Row(self.alternatives_button, self.alternative_choice, self.sweep_button,
                       self.weights_button),
                self.help_text, self.sweep_area,
                pn.pane.HTML("<h3 style='font:700 15px system-ui'>Take it further</h3>"),
                pn.Row(*self.download_buttons),
                pn.Row(pn.Column(self.model_text, self.copy_model),
                       pn.Column(self.command_text, self.copy_command)),
                sizing_mode="stretch_width"))

    # --- what the user does --------------------------------------------------------------
    def _on_event(self, event) -> None:
        action = event.new or {}
        kind = action.get("kind")
        if isinstance(action.get("n"), int):
            self.answered = action["n"]
        base = self.explorer.base(self.settings)
        try:
            if kind == "set" and action.get("key") in FACTORS:
                key = action["key"]
                self.request(self.settings.changed(base, key,
                                                   control_value(key, action.get("value"))))
            elif kind == "scenario" and action.get("value") in self.explorer.scenarios:
                self.request(Settings(action["value"]))
            elif kind == "reset":
                self.request(Settings(self.settings.scenario))
            elif kind == "pick":
                self._pick(str(action.get("site", "")))
            elif kind == "site" and action.get("state") in NEXT_STATE:
                self._set_site(str(action.get("site", "")), action["state"])
            elif kind == "explain":
                site = self._pick(str(action.get("site", "")))
                if site:
                    self._run(partial(self._explain, site))
        except SiteoptError as err:
            self._fail("\n".join(error_lines(err)))

    def _pick(self, site: str) -> str:
        """Make ``site`` the site the site buttons act on; "" (and a message) if unknown."""
        if site not in self.explorer.site_ids:
            self._fail(f"error: unknown site {printable_text(site)!r}; pick a site ID from "
                       f"the list of Find a site")
            return ""
        self.site = site
        self.controls.site = site
        return site

    def _set_site(self, site: str, state: str) -> None:
        if not self._pick(site):
            return
        base = self.explorer.base(self.settings)
        required = [s for s in self.settings.value(base, REQUIRED) if s != site]
        excluded = [s for s in self.settings.value(base, EXCLUDED) if s != site]
        if state == "required":
            required.append(site)
        elif state == "excluded":
            excluded.append(site)
        changed = self.settings.changed(base, REQUIRED, required).changed(base, EXCLUDED, excluded)
        self.request(changed)

    def _on_tap(self, attr, old, new) -> None:
        """Clicks on sites (``new["row"]``: every site row clicked so far, in order; those
        beyond :attr:`clicks_seen` are new): each moves its site free -> required ->
        excluded -> free."""
        rows = list(new["row"])
        for row in rows[self.clicks_seen:]:
            site = self.map.site_ids[int(row)]
            base = self.explorer.base(self.settings)
            state = site_state(site, self.settings.value(base, REQUIRED),
                               self.settings.value(base, EXCLUDED))
            self._set_site(site, NEXT_STATE[state])
        self.clicks_seen = len(rows)

    # --- solving -------------------------------------------------------------------------
    def request(self, settings: Settings) -> None:
        """Show the answer of ``settings`` as soon as it is solved; supersede any running."""
        self.settings = settings
        self.wanted = settings
        self._show_settings()
        if self.helping is not None:   # its answer would be for the settings before
            self._stop()
        if not self.served:
            self._show(self.explorer.answer(settings, owner=self))
            return
        kept = self.explorer.kept_answer(settings) if self.running is None else None
        if kept is not None:   # asked before: shown at once, without the solver's thread
            self.document.add_next_tick_callback(partial(self._present, kept))
            return
        if self.running is not None:
            self.explorer.stop(self)   # the running solve's settings are out of date
            return
        self._start()

    def _stop(self) -> None:
        """Stop what this tab runs: the solve or decision-help task running, and the
        decision-help tasks still waiting for it (asked for while a runner-up was proven)."""
        for task in self.help_tasks:
            task.cancel()   # False, and nothing done, once it has begun or ended
        self.explorer.stop(self)

    def _closed(self, _) -> None:
        """The tab is gone (its page closed or reloaded, its connection lost): stop what it
        runs and drop what it asked for, so that other tabs do not wait behind work nobody
        will see (alternatives on cross-border take about a minute)."""
        self.closed = True
        self.running = self.helping = None   # their progress is no longer counted
        self.explorer.close(self)
        self.pool.shutdown(wait=False, cancel_futures=True)   # the tasks waiting: dropped

    def _from_worker(self, callback) -> None:
        """Run ``callback`` on the page's thread, from a worker thread; nothing once the tab
        is gone (a finished solve would start the next on a pool already shut down). The tab
        is closed, and its document destroyed, on the page's thread, so the checks there are
        certain: one when the callback is posted, one when it runs (the tab may close in
        between)."""
        def run():
            if not self.closed:
                callback()

        def post():
            if not self.closed and self.document.session_context is not None:
                self.document.add_next_tick_callback(run)

        self.loop.add_callback(post)

    def _start(self, runner_up: bool = False) -> None:
        """Solve the latest settings in the worker thread: first the optimum alone (shown at
        once), then again with its runner-up (the close-call caveat and the downloads)."""
        settings = self.running = self.wanted
        self.started = time.perf_counter()
        future = self.pool.submit(self.explorer.answer, settings, self, runner_up)
        future.add_done_callback(lambda done: self._from_worker(partial(self._finished, done)))
        self.document.add_timeout_callback(partial(self._progress, settings),
                                           int(PROGRESS_AFTER_S * 1000))

    def _finished(self, future) -> None:
        ran, self.running = self.running, None
        answer = future.result()
        if self.wanted is not ran:
            self._start()   # superseded: solve the latest settings only
            return
        self._present(answer)
        if answer.ok and not answer.complete and answer.result.status.value == "optimal":
            self._start(runner_up=True)

    def _present(self, answer: Answer) -> None:
        """Show the answer of the latest settings (an older one is dropped)."""
        if answer.settings is not self.wanted:
            return
        with pn.io.hold(self.document):   # every change of the page in one message
            self._show(answer)

    def _progress(self, settings: Settings) -> None:
        if self.running is not settings:
            return
        seconds = time.perf_counter() - self.started
        shown = self.shown
        if shown is not None and shown.settings is settings and not shown.complete:
            self._set_status(f"{status_line(shown.result)}{PROVING} {seconds:.1f} s (Stop "
                             f"keeps this answer)")
        else:
            self._set_status(f"solving… {seconds:.1f} s (the last answer stays until this "
                             f"one is proven; Stop keeps the best found so far)", "working")
        self.stop_button.disabled = False
        self.document.add_timeout_callback(partial(self._progress, settings), 500)

    def _run(self, task) -> None:
        """Run a decision-help task (alternatives, explain, sweep, weight ranges) without
        blocking the page: it counts its seconds, and Stop or a new setting stops it (a
        weight range at a large budget with access terms can take a minute or more)."""
        self.help_text.object = "<p>working…</p>"
        if not self.served:   # in a notebook: answered before the cell returns
            self._help_done(task)
            return

        began = self.helping = time.perf_counter()

        def done(future):
            self._from_worker(partial(self._help_done, future.result, began))

        self.stop_button.disabled = False
        future = self.pool.submit(task)
        self.help_tasks = [asked for asked in self.help_tasks if not asked.done()] + [future]
        future.add_done_callback(done)
        self.document.add_timeout_callback(self._help_progress, HELP_PROGRESS_MS)

    def _help_progress(self) -> None:
        if self.helping is None:
            return
        seconds = time.perf_counter() - self.helping
        self.help_text.object = (f"<p>working… {seconds:.0f} s (Stop, or any "
                                 f"change of the settings, stops it)</p>")
        self.document.add_timeout_callback(self._help_progress, HELP_PROGRESS_MS)

    def _help_done(self, outcome, began: float | None = None) -> None:
        """Show a decision-help task's answer: ``outcome()`` gives the function that shows
        it, or raises the task's error (``KeyboardInterrupt`` when it was stopped,
        ``CancelledError`` when it was stopped before it began); the task begun at ``began``
        is no longer running, unless one asked for later is."""
        if began is None or self.helping == began:
            self.helping = None
            if self.running is None:
                self.stop_button.disabled = True
        try:
            apply = outcome()
        except SiteoptError as err:
            self.help_text.object = f"<p>{html.escape(str(err))}</p>"
            return
        except (KeyboardInterrupt, concurrent.futures.CancelledError):
            self.help_text.object = ("<p>Stopped before it had an answer; ask again for "
                                     "one.</p>")
            return
        if apply is not None:
            apply()

    # --- showing -------------------------------------------------------------------------
    def _show_settings(self) -> None:
        """The controls, model file and command as the settings say."""
        base = self.explorer.base(self.settings)
        self.controls.param.update(values=shown_values(base, self.settings),
                                   answered=self.answered)
        self.controls.scenario = self.settings.scenario
        self.controls.required = list(self.settings.value(base, REQUIRED))
        self.controls.excluded = list(self.settings.value(base, EXCLUDED))
        try:
            shares = weight_shares(model_for(base, self.settings))
        except SiteoptError:
            shares = {}
        self.controls.notes = {f"weights.{term}": f"{share:.0%} of the total weight"
                               for term, share in shares.items()}
        self.model_text.value = model_file(base, self.settings)
        self.command_text.value = command_line(self.settings, self.explorer.data)

    def _set_status(self, text: str, kind: str = "") -> None:
        self.status.object = (f"<div role='status' aria-live='polite' class='siteopt-status "
                              f"{kind}'>{html.escape(text)}</div>")

    def _fail(self, message: str) -> None:
        """Say what is wrong; the last good answer stays, greyed."""
        self.answer_area.css_classes = ["stale"]
        self._set_status(message, "failed")

    def _show(self, answer: Answer) -> None:
        self.stop_button.disabled = self.helping is None   # a decision-help task may run on
        edited = self.explorer.files_edited(
            "stop siteopt explore (Ctrl-C) and start it again" if self.served else
            "run siteopt.explorer() again")
        self.notice.object = "" if edited is None else (
            f"<div role='alert' class='siteopt-notice'>{html.escape(edited)}</div>")
        if not answer.ok:   # the last answer stays; the sites' marks follow the settings
            base = self.explorer.base(answer.settings)
            self.map.show_sites(answer.settings.value(base, REQUIRED),
                                answer.settings.value(base, EXCLUDED),
                                self.shown.result if self.shown is not None else None)
            self._fail(answer.message)
            return
        result = answer.result
        same = self.shown is not None and self.shown.settings is answer.settings
        if same and self.shown.ok and answer.complete and not self.shown.complete:
            self._complete(answer)
            return
        optimal = result.status.value == "optimal"
        proving = PROVING if optimal and not answer.complete else ""
        self._set_status(status_line(result, stopped_by="Stop") + proving,
                         "" if optimal else "working")
        self.answer_area.css_classes = []
        self._draw(result, answer.settings)
        if not same:
            self.before = self.shown.result if self.shown is not None and self.shown.ok \
                else None
        said = []
        if self.before is not None:
            said.append(difference(self.before, result).sentence("the previous answer"))
        if not answer.settings.changes:
            self.scenario_results[answer.settings.scenario] = result
        scenario = self.scenario_results.get(answer.settings.scenario)
        if scenario is not None:
            said.append(difference(scenario, result).sentence(
                f"the scenario's own answer ({answer.settings.scenario})"))
        self.changes.object = paragraphs(said)
        self.shown = answer
        self.alternatives = None
        self.alternative_choice.options = []
        self.alternative_choice.disabled = True

    def _complete(self, answer: Answer) -> None:
        """The runner-up of the answer on screen is proven: the same portfolio, now with its
        close-call caveat (a stopped proof keeps the answer and says so)."""
        if answer.result.status.value != "optimal":
            self._set_status(status_line(self.shown.result) + " The next best portfolio was "
                             "not proven (stopped).")
            return
        self.shown = answer
        self._set_status(status_line(answer.result))
        self.headline.object = answer_html(answer.result)

    def _draw(self, result, settings: Settings) -> None:
        base = self.explorer.base(settings)
        self.headline.object = answer_html(result)
        self.legend.object = legend_html(result.model.coverage.radius_km)
        self.map.show(result, settings.value(base, REQUIRED), settings.value(base, EXCLUDED))
        self.tables.object = tables_html(result)
        self.plan.object = plan_html(result)
        show_terms(self.terms_chart, self.terms, result)

    # --- decision help -------------------------------------------------------------------
    def _alternatives(self):
        settings = self.settings
        found = self.explorer.alternatives(settings, 5, owner=self)

        def apply():
            self.sweep_area.objects = []
            self.alternatives = (settings, found)
            self.alternative_choice.options = {
                f"{a.rank}. {a.label} ({a.objective:.4f}, {a.gap:.2%} below)": a.rank
                for a in found.items}
            self.alternative_choice.disabled = False
            self.help_text.object = (self._caution(found)
                                     + f"<p>The {len(found.items)} best portfolios of these "
                                       f"settings, each proven; choose one to show it.</p>")
        return apply

    def _show_alternative(self, event) -> None:
        if not event.new or self.alternatives is None:
            return
        from siteopt.api import portfolio_result

        settings, found = self.alternatives
        item = found.items[event.new - 1]
        cfg = model_for(self.explorer.base(settings), settings)
        result = portfolio_result(cfg, self.explorer.dataset, item.gigafactories,
                                  found.items[0].objective)
        self._draw(result, settings)
        shown = f"Showing alternative {item.rank} of {len(found.items)}"
        self._set_status(f"{shown}, the optimum (each proven)" if item.rank == 1 else
                         f"{shown}: {item.gap:.2%} below the optimum (objective "
                         f"{item.objective:.4f} against {found.items[0].objective:.4f}; each "
                         f"proven); choose 1 for the optimum")

    def _explain(self, site: str):
        found = self.explorer.explain(self.settings, site, owner=self)

        def apply():
            self.sweep_area.objects = []
            self.help_text.object = (self._caution(found)
                                     + paragraphs([found.sites[0].sentence()]))
        return apply

    def _weights(self):
        ranges = self.explorer.weight_ranges(self.settings, owner=self)
        # the page drawn here, in the task's thread, not the page's
        shown = self._caution(ranges) + weights_html(ranges, "the answer on screen")

        def apply():
            self.sweep_area.objects = []
            self.help_text.object = shown
        return apply

    def _sweep(self):
        swept = self.explorer.budget_sweep(self.settings,
                                           [b * 1e9 for b in SWEEP_BUDGETS_BN], owner=self)

        def apply():
            self.sweep_area.objects = [pn.pane.Bokeh(sweep_figure(swept))]
            # every change, exact, as siteopt sweep finds it: dozens along the budget, so in
            # a box that scrolls (by keyboard too: it takes the focus)
            lines = "<br>".join(kept_whole(line) for line in swept.breakpoint_lines())
            self.help_text.object = (
                self._caution(swept) + "<div id='sweep-changes'><p>"
                + html.escape(swept.breakpoint_heading()) + "</p>"
                + (f"<div id='sweep-lines' tabindex='0' role='region' aria-label='Changes of "
                   f"portfolio'>{lines}</div>" if lines else "") + "</div>")
        return apply

    def _caution(self, analysis) -> str:
        """The caveat paragraph for the illustrative sites ``analysis`` names (in the list
        above it, or the lines below), or nothing."""
        return caution_html(analysis, self.explorer.dataset, "here")

    # --- take it further -----------------------------------------------------------------
    async def _download(self, name: str):
        """The file ``name`` of ``solve --out`` for the answer on screen, made on first ask
        in a thread (report.html takes about 2 s: the page and the other tabs go on)."""
        if self.shown is None or not self.shown.ok:
            return io.BytesIO(b"")
        answer = self.shown
        content = await asyncio.get_running_loop().run_in_executor(
            None, self._file_bytes, answer, name)
        return io.BytesIO(content)

    def _file_bytes(self, answer: Answer, name: str) -> bytes:
        if not answer.complete:   # the files of solve --out name the runner-up
            answer = self.explorer.answer(answer.settings)
        result = answer.result
        kept = self.downloads.get(name)
        if kept is None or kept[0] is not result:
            kept = self.downloads[name] = (result, self.explorer.download(result, name))
        return kept[1]


def warm_up(explorer: Explorer) -> None:
    """Build one page offline (the map's layers, the first answer, Bokeh's and Panel's
    models), so that the first browser tab is served at once; the server runs it while the
    browser starts."""
    from bokeh.document import Document

    ExplorerPage(explorer, served=False).layout.get_root(Document())


def explorer(model=None, data=None):
    """The explorer inline in a Jupyter notebook (the same app as ``siteopt explore``).

    Parameters
    ----------
    model : str or path, optional
        The scenario to start from (a name or a model file).
    data : str or path, optional
        The data directory or workbook.

    Returns
    -------
    panel.Row
        Displayed by the notebook; each change is solved before the cell's output updates.
    """
    global _LOADED
    if not _LOADED:   # Bokeh's and Panel's scripts, inline (offline), once per kernel
        pn.extension(inline=True)
        _LOADED = True
    return ExplorerPage(Explorer(model, data), served=False).layout


#: Whether :func:`explorer` has put the scripts into this kernel's notebook.
_LOADED = False

"""The explorer's state and its questions to siteopt, apart from the page.

An :class:`Explorer` loads the data and the scenarios once, when it starts, and then answers
:class:`~siteopt.explore.settings.Settings` with exact solves through :func:`siteopt.solve`
(the default path, as ``siteopt solve``), so every answer on screen is the one the command
line gives. It reads nothing else afterwards: no value from the page becomes a path.

One solve runs at a time in the process (:attr:`Explorer.lock`); :meth:`Explorer.stop` asks it
to stop as Ctrl-C does. Answers are kept by their effective settings, so moving a slider back
shows an earlier answer at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from siteopt.atomic import as_bytes
from siteopt.config import ModelConfig, load_model
from siteopt.errors import SiteoptError
from siteopt.explore.settings import Settings, model_for
from siteopt.interrupt import ask_to_stop, best_so_far, check
from siteopt.paths import (default_model_path, display_path, model_name, model_path,
                           shipped_scenarios)
from siteopt.sanitize import error_lines
from siteopt.units import changes

#: Answers kept per explorer (a few MB each at most on the shipped data).
KEPT_ANSWERS = 128
#: The files of ``siteopt solve --out`` the explorer offers for download.
DOWNLOADS = ("result.json", "siteopt.xlsx", "report.html")


@dataclass(frozen=True)
class Answer:
    """What the explorer shows for one setting: a result, or the message of what went wrong.

    Attributes
    ----------
    settings : Settings
    result : Result or None
        None when the settings are bad, the limits conflict or the solver failed.
    message : str
        The command line's ``error: ...`` lines for a failure, else "".
    exit_code : int
        The command line's exit code for the same settings (0, 1 or 2).
    seconds : float
        Wall-clock time of the solve (0 when the answer was kept from before), s.
    complete : bool
        False for an answer solved without its runner-up (the portfolio is final; the
        close-call caveat and the downloads wait for the complete answer).
    """

    settings: Settings
    result: object | None
    message: str = ""
    exit_code: int = 0
    seconds: float = 0.0
    complete: bool = True

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Difference:
    """What one portfolio changes against another: sites in and out, objective points and
    the same in euros, megawatts and people."""

    sites_in: list[str]
    sites_out: list[str]
    objective: float
    words: list[str]

    def sentence(self, against: str) -> str:
        """``Against the previous answer: ES-NAV in, ES-ZAZ out; EUR 0.30 bn less capex;
        objective -0.0012``, or that nothing changed."""
        if not self.sites_in and not self.sites_out:
            return f"Against {against}: the same sites (objective {self.objective:+.4f})."
        moves = [f"{', '.join(self.sites_in)} in" if self.sites_in else "",
                 f"{', '.join(self.sites_out)} out" if self.sites_out else ""]
        said = "; ".join([", ".join(m for m in moves if m), *self.words])
        return f"Against {against}: {said}; objective {self.objective:+.4f}."


def difference(before, after) -> Difference:
    """How ``after`` differs from ``before`` (two :class:`~siteopt.result.Result`)."""
    old, new = set(before.selected), set(after.selected)
    words = changes(after.covered_population - before.covered_population,
                    after.total_capex_eur - before.total_capex_eur,
                    after.total_power_mw - before.total_power_mw,
                    after.model.coverage.radius_km)
    closer = after.access.mean_km - before.access.mean_km
    if abs(closer) >= 1:   # km; changes under one are left out, as for the other amounts
        words.append(f"people {abs(closer):,.0f} km {'farther' if closer > 0 else 'closer'} "
                     f"on average")
    return Difference(sorted(new - old), sorted(old - new), after.objective - before.objective,
                      words)


def _data_files(dataset) -> dict[str, Path]:
    """The files a data set was read from, by how messages name them: the workbook, or each
    file of the directory."""
    source = Path(dataset.directory)
    if source.is_file():
        return {source.name: source}
    return {dataset.displays[name]: source / name for name in sorted(dataset.sha256)}


def _file_states(files: dict[str, Path]) -> dict[str, tuple[int, int] | None]:
    """Each file's modification time (ns) and size in bytes, None when it is gone."""
    states = {}
    for shown, path in files.items():
        try:
            stat = path.stat()
        except OSError:
            states[shown] = None
        else:
            states[shown] = (stat.st_mtime_ns, stat.st_size)
    return states


class Explorer:
    """The data, the scenarios and the answers of one explorer (shared by its browser tabs).

    Parameters
    ----------
    model : str or path, optional
        The scenario to start from (a name or a model file; default: the workspace's model,
        else ``default``). Every shipped and workspace scenario is offered beside it.
    data : str or path, optional
        The data directory or workbook (default: as ``siteopt solve``).
    """

    def __init__(self, model: str | Path | None = None, data: str | Path | None = None):
        from siteopt.data import load_data

        self.data = None if data is None else str(data)
        self.dataset = load_data(data)
        self._read_at = time.strftime("%H:%M")
        self._watched = _data_files(self.dataset)
        start = model_path(model) if model is not None else default_model_path()
        first = load_model(start)
        self._watched[display_path(start)] = start
        self.scenarios: dict[str, ModelConfig] = {first.source: first}
        for name in shipped_scenarios():
            if name not in self.scenarios and model_name(model_path(name)) not in self.scenarios:
                cfg = load_model(model_path(name))
                self.scenarios[cfg.source] = cfg
                self._watched[display_path(model_path(name))] = model_path(name)
        self._states = _file_states(self._watched)
        self.initial = first.source
        #: Every candidate site's ID, sorted.
        self.site_ids: list[str] = sorted(self.dataset.sites["site_id"])
        self.lock = threading.Lock()
        self._owner: object = None   # who asked for the solve running now
        self._gone: weakref.WeakSet = weakref.WeakSet()   # owners closed (browser tabs)
        self._kept: OrderedDict[str, object] = OrderedDict()
        self._kept_lock = threading.Lock()

    def files_edited(self, fix: str) -> str | None:
        """What to tell the user when a data or model file changed (or went) since the
        explorer read it, ending with ``fix`` (how to read it again); None while none has.
        The answers stay those of the files as read: an edited workbook or model file is not
        read again halfway through a meeting, nor for one tab and not another."""
        edited = [name for name, state in _file_states(self._watched).items()
                  if state != self._states[name]]
        if not edited:
            return None
        return (f"{', '.join(edited)} changed after the explorer read "
                f"{'it' if len(edited) == 1 else 'them'} at {self._read_at}: the answers "
                f"here use the files as read then. To use the edits, {fix}.")

    def base(self, settings: Settings) -> ModelConfig:
        """The scenario the settings start from."""
        return self.scenarios[settings.scenario]

    def answer(self, settings: Settings, owner: object = None,
               runner_up: bool = True) -> Answer:
        """Solve the settings exactly (or take the answer kept for the same model); ``owner``
        (a browser tab) may stop the solve with :meth:`stop`.

        Without ``runner_up`` the answer is the same proven optimum, shown sooner; its
        runner-up is proven by a second call with it (:attr:`Answer.complete` tells which).
        """
        try:
            cfg = model_for(self.base(settings), settings)
        except SiteoptError as err:
            return _failure(settings, err)
        kept = self._kept_answer(settings, cfg)
        if kept is not None:
            return kept
        key = cfg.sha256()
        from siteopt.api import prepare, solve_prepared

        with self._solving(owner):
            start = time.perf_counter()
            try:
                timings: dict[str, float] = {}
                cfg, dataset, prepared = prepare(cfg, self.dataset, {}, timings)
                with best_so_far():   # Stop keeps the best portfolio found so far
                    result = solve_prepared(cfg, dataset, prepared, timings,
                                            runner_up=runner_up)
            except SiteoptError as err:
                return _failure(settings, err)
            except KeyboardInterrupt:   # stopped before the solver had any portfolio
                check()   # by a stop signal: that ends the explorer, not just this solve
                return Answer(settings, None, "stopped before any portfolio was found", 1)
            seconds = time.perf_counter() - start
        # a stop signal that arrived while the solver held the main thread was only recorded
        # (the solver stopped with its best portfolio); it ends the explorer now, as it would
        # have at any other moment (the Stop button asks without a signal: not this)
        check()
        if not runner_up:
            return Answer(settings, result, seconds=seconds, complete=False)
        if result.status.value == "optimal":
            with self._kept_lock:
                self._kept[key] = result
                while len(self._kept) > KEPT_ANSWERS:
                    self._kept.popitem(last=False)
        return Answer(settings, result, seconds=seconds)

    def kept_answer(self, settings: Settings) -> Answer | None:
        """The answer kept for the settings' model, or None (bad settings included): a
        page shows it at once, without a trip through the solver's thread."""
        try:
            cfg = model_for(self.base(settings), settings)
        except SiteoptError:
            return None
        return self._kept_answer(settings, cfg)

    def _kept_answer(self, settings: Settings, cfg: ModelConfig) -> Answer | None:
        key = cfg.sha256()
        with self._kept_lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            self._kept.move_to_end(key)
        return Answer(settings, dataclasses.replace(kept, model=cfg))

    @contextlib.contextmanager
    def _solving(self, owner: object = None):
        """Hold the solve lock for ``owner``, with no stop request left from before (and one
        at once for an owner gone since it asked: :meth:`close`)."""
        with self.lock:
            ask_to_stop(owner is not None and owner in self._gone)
            self._owner = owner
            try:
                yield
            finally:
                self._owner = None
                ask_to_stop(False)

    def stop(self, owner: object) -> None:
        """Ask the solve running for ``owner`` to stop (it returns its best portfolio, status
        interrupted); another owner's solve goes on."""
        if owner is not None and self._owner is owner:
            ask_to_stop()

    def close(self, owner: object) -> None:
        """``owner`` is gone (its tab closed): stop its running solve, and stop at once any
        it asked for that starts later (waiting for another tab's)."""
        self._gone.add(owner)
        self.stop(owner)

    def alternatives(self, settings: Settings, k: int = 5, owner: object = None):
        """The ``k`` best portfolios of the settings (:func:`siteopt.analysis.alternatives`).

        Like every decision-help method here, it runs for ``owner`` (:meth:`stop` stops it
        with ``KeyboardInterrupt``)."""
        from siteopt.analysis.alternatives import alternatives

        with self._solving(owner):
            return alternatives(model_for(self.base(settings), settings), self.dataset, k=k)

    def explain(self, settings: Settings, site_id: str, owner: object = None):
        """``siteopt explain SITE`` for the settings (:func:`siteopt.analysis.explain`)."""
        from siteopt.analysis.explain import explain

        with self._solving(owner):
            return explain([site_id], model_for(self.base(settings), settings), self.dataset)

    def budget_sweep(self, settings: Settings, budgets_eur: list[float],
                     owner: object = None):
        """The optimum at each budget (EUR), the rest of the settings kept, and exactly
        where between them the portfolio changes (:func:`siteopt.analysis.sweep`, as
        ``siteopt sweep`` finds it: about 1.5 s on the shipped data)."""
        from siteopt.analysis.sweep import sweep

        values = ",".join(f"{b:.6g}" for b in budgets_eur)
        with self._solving(owner):
            return sweep([f"budget.total_eur={values}"], model_for(self.base(settings), settings),
                         self.data)

    def weight_ranges(self, settings: Settings, owner: object = None):
        """How far each weight may move, the others held, before the settings' answer
        changes (:func:`siteopt.analysis.weight_ranges`, as ``siteopt weights`` finds them:
        about 3 s on the shipped data)."""
        from siteopt.analysis.weights import weight_ranges

        with self._solving(owner):
            return weight_ranges(model_for(self.base(settings), settings), self.data)

    @staticmethod
    def download(result, name: str) -> bytes:
        """One of the files of ``siteopt solve --out`` (:data:`DOWNLOADS`), as bytes."""
        from siteopt.report.exports import output_makers

        return as_bytes(output_makers(result)[name]())


def _failure(settings: Settings, err: SiteoptError) -> Answer:
    """The answer of a failed solve: the command line's lines and exit code."""
    return Answer(settings, None, "\n".join(error_lines(err)), err.exit_code)

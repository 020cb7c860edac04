"""Generated hostile input: any CSV text and any number either loads correctly or is refused with
a one-line message naming file, row and column; nothing crashes, nothing is silently changed.
"""

from __future__ import annotations

import csv
import io
import math
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.config import default_model, load_model_overrides
from siteopt.data import load_data
from siteopt.data.read import read_csv_table
from siteopt.errors import ConfigError, InputError
from tests.conftest import edit_csv, DATA

#: Text a consortium name could hold: quotes, separators, line ends, formula starts, any letter.
CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
HOSTILE_SETTINGS = settings(max_examples=40, deadline=None,
                            suppress_health_check=[HealthCheck.function_scoped_fixture])


@HOSTILE_SETTINGS
@given(rows=st.lists(st.tuples(CELL, CELL), min_size=1, max_size=6),
       line_end=st.sampled_from(["\n", "\r\n"]))
def test_any_quoted_text_reads_back_as_written(rows, line_end):
    """Values with quotes, commas, semicolons, tabs, CR or LF survive a round trip through a
    CSV file written by a spreadsheet (every field quoted), up to surrounding white space."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end, quoting=csv.QUOTE_ALL)
    writer.writerow(["letter_id", "consortium"])
    writer.writerows([(f"L{i}", text) for i, (text, _) in enumerate(rows)])
    frame, problems = read_csv_table(buffer.getvalue().encode("utf-8"), "letters.csv")
    assert problems == []
    assert list(frame["letter_id"]) == [f"L{i}" for i in range(len(rows))]
    assert list(frame["consortium"]) == [text.strip() for text, _ in rows]


@HOSTILE_SETTINGS
@given(content=st.binary(max_size=300))
def test_any_bytes_give_a_frame_or_problems_never_an_exception(content):
    frame, problems = read_csv_table(content, "letters.csv")
    assert (frame is None) == bool(problems)
    assert all(problem.file == "letters.csv" and "\n" not in str(problem)
               for problem in problems)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The shipped data, copied once; each example copies it again."""
    target = tmp_path_factory.mktemp("pristine")
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv",
                 "countries.geojson"):
        shutil.copy(DATA / name, target / name)
    return target


def _fresh(pristine, tmp_path):
    target = tmp_path / "data"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pristine, target)
    return target


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e6, 1e12, 1e12 * (1 + 1e-15), 999_999.0,
                                     1e9 - 1, 1e9, 1e9 + 1, 5e-324]))


@pytest.mark.filterwarnings("ignore::siteopt.errors.DataWarning")   # a valid, odd capex
@pytest.mark.parametrize("file, id_column, key, column, low, high", [
    ("sites.csv", "site_id", "RO-CER", "capex_eur", 1e6, 1e12),
    ("demand.csv", "point_id", "GN2761369", "population", 0, 1e9)])
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NUMBERS)
def test_any_number_is_accepted_only_in_its_plausible_range(pristine, tmp_path, file,
                                                            id_column, key, column, low, high,
                                                            value):
    data = _fresh(pristine, tmp_path)
    line = edit_csv(data / file, id_column, key, column, repr(value))
    plausible = math.isfinite(value) and low <= value <= high
    try:
        loaded = load_data(data)
    except InputError as err:
        assert not plausible
        assert f"{file} line {line}, column {column}: " in str(err)
        return
    frame = loaded.sites if file == "sites.csv" else loaded.demand
    assert plausible and frame.set_index(id_column).at[key, column] == value


@settings(max_examples=60, deadline=None)
@given(value=NUMBERS)
def test_any_weight_is_accepted_only_in_its_range(value):
    plausible = math.isfinite(value) and 0 <= value <= 1e6
    try:
        model = load_model_overrides(default_model(), None, [f"weights.coverage={value!r}"])
    except ConfigError as err:
        assert not plausible
        assert "weights.coverage" in str(err) and "\n" not in str(err)
        return
    assert plausible and model.weights.coverage == value

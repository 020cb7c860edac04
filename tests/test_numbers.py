"""Numbers in spreadsheet exports are read exactly or refused, never misread."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from siteopt.data import load_data
from siteopt.data.numbers import classify, read_column, read_numbers
from siteopt.data.schema import Column
from siteopt.errors import DataWarning, InputError
from tests.conftest import edit_csv

#: How Excel writes a number in each language: field separator, decimal mark, thousands mark.
LOCALES = {
    "de": (";", ",", "."),
    "fr": (";", ",", "\u202f"),     # narrow no-break space, as French Excel writes it
    "fr-old": (";", ",", "\u00a0"),
    "en": (",", ".", ","),
    "ch": (";", ".", "'"),
}
NUMERIC = ("lat", "lon", "power_mw", "grid_mw", "gpus", "capex_eur", "renewable_share",
           "co2_g_per_kwh", "pue", "elec_price_eur_mwh")


def excel_number(text: str, decimal: str, thousands: str | None) -> str:
    """A plain number (``1234567.5``) as Excel writes it with these marks."""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if thousands:
        whole = f"{int(whole):,}".replace(",", thousands)
    return sign + whole + (decimal + fraction if fraction else "")


def export(source, target, locale: str, grouping: bool, ungrouped=()) -> None:
    """``source`` (a shipped CSV) as Excel in ``locale`` saves it (``ungrouped``: columns whose
    cells have no thousands separator even with ``grouping``)."""
    separator, decimal, thousands = LOCALES[locale]
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    numeric = [header.index(name) for name in NUMERIC if name in header]
    for row in rows[1:]:
        for i in numeric:
            if row[i]:
                grouped = grouping and header[i] not in ungrouped
                row[i] = excel_number(row[i], decimal, thousands if grouped else None)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=separator, lineterminator="\r\n").writerows(rows)


# --- real exports of the shipped sites.csv -----------------------------------------------------

@pytest.mark.parametrize("locale, grouping, ungrouped, outcome", [
    ("de", False, (), "exact"), ("fr", False, (), "exact"), ("en", False, (), "exact"),
    ("ch", False, (), "exact"), ("fr", True, (), "exact"), ("fr-old", True, (), "exact"),
    ("ch", True, (), "exact"),
    # '3.400.000.000' shows that '.' groups thousands in this file: '100.000' is 100,000
    ("de", True, (), "exact"),
    # '3,400,000,000' shows that ',' groups thousands: '100,000' is 100,000
    ("en", True, (), "exact"),
    # the capex written without separators: '100.000' beside decimal commas may be 100
    ("de", True, ("capex_eur",), "refused"),
    ("en", True, ("capex_eur",), "refused"),
])
def test_excel_exports_are_read_exactly_or_refused(data_dir, locale, grouping, ungrouped,
                                                    outcome):
    shipped = load_data().sites
    export(data_dir / "sites.csv", data_dir / "sites.csv", locale, grouping, ungrouped)
    if outcome == "refused":
        with pytest.raises(InputError) as caught:
            load_data(data_dir)
        messages = [str(p) for p in caught.value.problems]
        mark = "commas" if LOCALES[locale][1] == "," else "points"
        assert all(f"in a file with decimal {mark}: is '" in m for m in messages), messages
        assert {p.column for p in caught.value.problems} == {"power_mw", "grid_mw", "gpus"}
        return
    read = load_data(data_dir).sites
    for name in NUMERIC:
        assert np.array_equal(read[name].to_numpy(), shipped[name].to_numpy(),
                              equal_nan=True), name


def test_the_paks_line_of_the_issue_is_refused_not_misread(data_dir):
    """HU-PAK as German Excel writes it: 1.2 MW and 130 GPUs before; refused now."""
    export(data_dir / "sites.csv", data_dir / "sites.csv", "de", False)
    path = data_dir / "sites.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(";")
    row = ["HU-PAK", "Paks nuclear node", "HU", "46,6229", "18,8558", "1.200", "1.400",
           "130.000", "5700000000"] + [""] * (len(header) - 9)
    values = dict(zip(header, row))
    values.update(capex_basis="rule", renewable_share="0,2", renewable_basis="country",
                  provenance="illustrative", source="test")
    lines.insert(len(lines) - 1, ";".join(values[name] for name in header))
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_data(data_dir)
    messages = [str(p) for p in caught.value.problems]
    line = len(lines) - 1
    assert messages == [
        f"data/sites.csv line {line}, column power_mw: '1.200' in a file with decimal commas: "
        f"is '1.200' 1200 or 1.2? Remove the thousands separators (format the cells as numbers "
        f"without a 1000 separator) and save again (IT power the proposal plans, in MW)",
        f"data/sites.csv line {line}, column grid_mw: '1.400' in a file with decimal commas: "
        f"is '1.400' 1400 or 1.4? Remove the thousands separators (format the cells as numbers "
        f"without a 1000 separator) and save again (grid connection available by about 2028, "
        f"in MW)",
        f"data/sites.csv line {line}, column gpus: '130.000' in a file with decimal commas: "
        f"is '130.000' 130000 or 130? Remove the thousands separators (format the cells as "
        f"numbers without a 1000 separator) and save again (number of AI accelerators planned)",
    ]


def test_one_line_per_column_with_its_rows(data_dir):
    for site in ("DE-LUB", "DE-MUC", "DE-BSW"):
        edit_csv(data_dir / "sites.csv", "site_id", site, "capex_eur", "EUR 3.4 bn")
    with pytest.raises(InputError) as caught:
        load_data(data_dir)
    assert [str(p) for p in caught.value.problems] == [
        "data/sites.csv lines 2, 3 and 4, column capex_eur: 'EUR 3.4 bn' are not finite "
        "numbers; write the number alone, without a currency or unit (4.2e9 for EUR 4.2 bn) "
        "(total capital cost in EUR)"]


def test_a_file_with_both_decimal_marks_is_refused(data_dir):
    edit_csv(data_dir / "sites.csv", "site_id", "DE-MUC", "pue", "1,25")
    with pytest.raises(InputError) as caught:
        load_data(data_dir)
    (problem,) = caught.value.problems
    assert str(problem) == (
        "data/sites.csv: mixes decimal points (column lat, line 2: '51.8622') and decimal "
        "commas (column pue, line 3: '1,25'), so its numbers cannot be read exactly; save it "
        "with one decimal mark throughout")


def test_thousands_in_a_comma_file_are_read(data_dir):
    edit_csv(data_dir / "sites.csv", "site_id", "DE-MUC", "capex_eur", "3,600,000,000")
    sites = load_data(data_dir).sites.set_index("site_id")
    assert sites.at["DE-MUC", "capex_eur"] == 3.6e9


def test_a_share_in_percent_says_how_to_write_it(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "DE-MUC", "renewable_share", "57.9%")
    with pytest.raises(InputError) as caught:
        load_data(data_dir)
    assert str(caught.value.problems[0]) == (
        f"data/sites.csv line {line}, column renewable_share: '57.9%' is not a finite number; "
        f"write a share as a fraction (0.45 for 45 %) (share of the site's electricity from "
        f"renewables, 0..1)")


@pytest.mark.parametrize("cell", ["2026-01-05", "2026-01-05 00:00:00", "05.01.2026",
                                  "05/01/2026", "1/5/26"])
def test_a_date_in_a_number_column_is_named_as_a_date(cell):
    reading = classify(cell)
    assert reading.kind == "invalid"
    assert reading.reason.startswith("a date in a number's place: ")


# --- each cell, and the file's decision ------------------------------------------------------

@pytest.mark.parametrize("cell, kind, value", [
    ("1200", "neutral", 1200), ("-5", "neutral", -5), ("5.7e9", "point", 5.7e9),
    ("5,7E+09", "comma", 5.7e9), ("46,6229", "comma", 46.6229), ("0.500", "point", 0.5),
    ("0,500", "comma", 0.5), ("2.400.000.000", "comma", 2.4e9),
    ("2,400,000,000", "point", 2.4e9), ("1.200,5", "comma", 1200.5),
    ("1,200.5", "point", 1200.5), ("1 200", "neutral", 1200), ("1\u202f200,25", "comma", 1200.25),
    ("1'200.5", "point", 1200.5), ("\u22123,5", "comma", -3.5), (".5", "point", 0.5),
    ("1.200", "ambiguous", 1.2), ("12,500", "ambiguous", 12.5),
    ("1.2.3", "invalid", np.nan), ("1,20,000", "invalid", np.nan), ("lots", "invalid", np.nan),
    ("1.200,5.3", "invalid", np.nan), ("1,234.567,8", "invalid", np.nan),
])
def test_each_form_of_a_cell(cell, kind, value):
    reading = classify(cell)
    assert reading.kind == kind
    assert reading.value == value or (np.isnan(value) and np.isnan(reading.value))


@pytest.mark.parametrize("cell", ["EUR 3.4 bn", "4,2 Mrd", "4,2 mld", "3 billion", "800 Mio",
                                  "€4.2bn", "4.2bn", "800mio", "300 MW", "1.2 GW", "4.2 M"])
def test_an_amount_with_its_unit_in_any_language_gets_the_hint(cell):
    reading = classify(cell)
    assert reading.kind == "invalid" and reading.reason == (
        "write the number alone, without a currency or unit (4.2e9 for EUR 4.2 bn)")


def test_a_word_that_is_no_unit_gets_no_unit_hint():
    assert classify("lots").reason == "" and classify("Mrdx").reason == ""


def frame_of(**columns) -> tuple[pd.DataFrame, tuple[Column, ...]]:
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in
                          columns.items()})
    return frame, tuple(Column(name, "float", name) for name in columns)


@pytest.mark.parametrize("cells, other, expected", [
    (["1.200"], ["0.5"], [1.2]),                    # decimal points: 1.2
    (["1,200"], ["0,5"], [1.2]),                    # decimal commas: 1.2
    (["1.200"], ["0,5"], None),                     # decimal commas, no grouping: refused
    (["1,200"], ["0.5"], None),                     # decimal points, no grouping: refused
    (["1.200"], ["0,5", "2.000.000"], [1200]),      # '.' groups thousands in this file
    (["1,200"], ["0.5", "2,000,000"], [1200]),      # ',' groups thousands in this file
    (["1.200"], ["7"], None),                       # nothing to go by: refused
    (["1 200"], ["7"], [1200]),                     # spaces only group
])
def test_the_file_decides_what_a_cell_means(cells, other, expected):
    frame, columns = frame_of(a=cells + [""] * (len(other) - len(cells)),
                              b=other + [""] * (len(cells) - len(other)))
    numbers, problems = read_numbers(frame, columns, "f.csv", range(2, 2 + len(frame)), "line")
    values, refused = numbers["a"]
    if expected is None:
        assert refused[0] and np.isnan(values[0])
        assert len(problems) == 1 and problems[0].column == "a"
    else:
        assert not problems and values[: len(expected)].tolist() == expected


# --- Hypothesis: any number, any locale, never a wrong value ---------------------------------

DECIMALS = st.builds(lambda whole, fraction, negative: ("-" if negative else "") + str(whole)
                     + (f".{fraction}" if fraction else ""),
                     st.integers(0, 10**10), st.one_of(st.just(""), st.from_regex(r"[0-9]{1,6}",
                                                                                    fullmatch=True)),
                     st.booleans())


@settings(max_examples=300, deadline=None)
@given(numbers=st.lists(st.lists(DECIMALS, min_size=1, max_size=6), min_size=1, max_size=3),
       locale=st.sampled_from(sorted(LOCALES)), grouping=st.booleans())
def test_any_number_in_any_locale_is_read_exactly_or_refused(numbers, locale, grouping):
    _, decimal, thousands = LOCALES[locale]
    width = max(len(column) for column in numbers)
    columns = {f"c{i}": [excel_number(n, decimal, thousands if grouping else None)
                         for n in column] + [""] * (width - len(column))
               for i, column in enumerate(numbers)}
    frame, schema = frame_of(**columns)
    read, problems = read_numbers(frame, schema, "f.csv", range(2, 2 + len(frame)), "line")
    for i, column in enumerate(numbers):
        values, refused = read[f"c{i}"]
        for j, written in enumerate(column):
            if not refused[j]:
                assert values[j] == float(written), (columns[f"c{i}"][j], written, values[j])
    assert bool(problems) == any(refused.any() for _, refused in read.values())


@settings(max_examples=500, deadline=None)
@given(cells=st.lists(st.text(alphabet="0123456789.,eE+- ", min_size=1, max_size=9),
                      min_size=1, max_size=20))
@example(cells=["+3E81"])   # pandas' own parser read it as 2.9999999999999996e+81
def test_the_fast_reading_equals_the_cell_by_cell_one(cells):
    cells = [c.strip() or "0" for c in cells]
    column = read_column(np.array(cells, dtype=object), np.zeros(len(cells), dtype=bool))
    for i, cell in enumerate(cells):
        reading = classify(cell)
        assert column.kind[i] == reading.kind, cell
        assert column.mark[i] == reading.mark, cell
        for fast, slow in ((column.value[i], reading.value), (column.grouped[i], reading.grouped)):
            assert fast == slow or (np.isnan(fast) and np.isnan(slow)), cell


# --- units slips are named ---------------------------------------------------------------------

def test_implausible_figures_are_warned_about_with_their_row(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "DE-JUL", "power_mw", "1.2")
    edit_csv(data_dir / "sites.csv", "site_id", "DE-JUL", "gpus", "130")
    with pytest.warns(DataWarning) as caught:
        load_data(data_dir)
    messages = sorted(str(w.message) for w in caught)
    assert messages == sorted([
        f"data/sites.csv line {line}, column power_mw: DE-JUL plans 1.2 MW of IT power, under "
        f"10 MW: gigafactory sites plan hundreds of MW; check the unit (MW) and the thousands "
        f"separator",
        f"data/sites.csv line {line}, column gpus: DE-JUL plans 130 accelerators, fewer than "
        f"1,000: a gigafactory plans about 100,000; check the thousands separator",
        f"data/sites.csv line {line}, column capex_eur: DE-JUL says capex_basis = rule, but its "
        f"capex EUR 3.60 bn is not the rule's EUR 6.3 m (gpus x EUR 30,000 + power_mw x EUR 2 m); "
        f"correct the capex or its basis",
    ])


def test_a_warning_names_the_line_its_site_is_on_after_blank_lines_cached_or_not(data_dir):
    """The cached tables keep only the values: a blank line and a note over two lines before
    the site put it two lines further down than its place in the table says."""
    edit_csv(data_dir / "sites.csv", "site_id", "DE-LUB", "notes", "first line\nsecond line")
    record = edit_csv(data_dir / "sites.csv", "site_id", "DE-JUL", "capex_eur", "5000000")
    text = (data_dir / "sites.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data_dir / "sites.csv").write_text("".join(text[:1] + ["\n"] + text[1:]), encoding="utf-8")
    line = record + 2
    assert (data_dir / "sites.csv").read_text(encoding="utf-8").splitlines()[line - 1] \
        .startswith("DE-JUL,")
    for load in ("read and checked", "from the cache"):
        with pytest.warns(DataWarning) as caught:
            load_data(data_dir)
        (message,) = [str(w.message) for w in caught]
        assert message.startswith(f"data/sites.csv line {line}, column capex_eur: DE-JUL says "
                                  f"capex_basis = rule, but its capex EUR 5.0 m"), load


def test_a_capex_far_from_the_rule_is_warned_about(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "AT-VIE", "capex_eur", "5000000")
    with pytest.warns(DataWarning) as caught:
        load_data(data_dir)
    assert [str(w.message) for w in caught] == [
        f"data/sites.csv line {line}, column capex_eur: AT-VIE's capex EUR 5.0 m is 720 times "
        f"less than what the cost rule gives (EUR 3.60 bn, gpus x EUR 30,000 + power_mw x EUR "
        f"2 m); check that it is in EUR (4.2e9 for EUR 4.2 bn)"]


def test_the_shipped_data_raise_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_data()


def test_the_command_line_shows_a_warning_as_one_line(data_dir):
    edit_csv(data_dir / "sites.csv", "site_id", "DE-JUL", "gpus", "130")
    edit_csv(data_dir / "sites.csv", "site_id", "DE-JUL", "capex_eur", "603900000")
    done = subprocess.run([sys.executable, "-m", "siteopt", "validate", "--data", str(data_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: data/sites.csv line 5, column gpus: DE-JUL plans 130 accelerators, "
        f"fewer than 1,000: a gigafactory plans about 100,000; check the thousands separator"]


def test_a_cell_with_a_space_in_its_exponent_is_read_as_classify_reads_it():
    """Found by Hypothesis: pandas' parser let '+0E 0' through and NumPy then refused it."""
    import numpy as np

    from siteopt.data.numbers import classify, read_column

    cells = np.array(["+0E 0", "1e 3", "2.5"], dtype=str)
    read = read_column(cells, np.zeros(3, dtype=bool))
    for position, cell in enumerate(cells):
        expected = classify(cell)
        assert read.kind[position] == expected.kind
        assert (np.isnan(read.value[position]) and np.isnan(expected.value)) or \
            read.value[position] == expected.value

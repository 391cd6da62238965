"""Small-number suppression: nothing under 10 is shown, and no hidden figure follows from what is shown."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.disclosure import THRESHOLD, CountTable, Position, recoverable, suppress


def additive(cells: list[list[int]], rows: bool = True, columns: bool = True, grand: bool = True) -> CountTable:
    grid = tuple(tuple(row) for row in cells)
    return CountTable(
        grid,
        row_totals=tuple(sum(row) for row in grid) if rows else None,
        column_totals=tuple(sum(column) for column in zip(*grid, strict=True)) if columns else None,
        grand_total=sum(map(sum, grid)) if grand else None,
    )


def determined_by_rank(table: CountTable, hidden: frozenset[Position]) -> set[Position]:
    """An independent check in floating point: x is fixed by the sums iff adding e_x leaves the rank unchanged."""
    unknown = sorted(hidden)
    index = {position: column for column, position in enumerate(unknown)}
    rows = []
    for parts, total in table.lines():
        row = np.zeros(len(unknown))
        for part in parts:
            if part in index:
                row[index[part]] = 1
        if total in index:
            row[index[total]] = -1
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for position, column in index.items():
        unit = np.zeros(len(unknown))
        unit[column] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(position)
    return found


def test_a_lone_small_cell_takes_the_smallest_other_cell_with_it() -> None:
    table = additive([[3], [20], [12], [30]], rows=False, grand=False)
    assert suppress(table) == {(0, 0), (2, 0)}


def test_a_total_under_ten_is_hidden_and_so_is_its_only_part() -> None:
    table = additive([[4]], rows=False, grand=False)
    assert suppress(table) == {(0, 0), (1, 0)}


def test_a_table_of_large_counts_hides_nothing() -> None:
    assert suppress(additive([[10, 11], [12, 40]])) == frozenset()


def test_two_hidden_cells_in_every_line_can_still_give_one_away_and_are_then_protected() -> None:
    # Two 2x2 blocks of small cells joined by one small cell: every line has two hidden cells, yet the joining
    # cell is the sum of two rows minus two columns. The check by equations catches it.
    cells = [[5, 5, 5, 50], [5, 5, 50, 50], [50, 50, 5, 5], [50, 50, 5, 5]]
    table = additive(cells)
    primary = frozenset(position for position in table.positions() if table.count(position) < THRESHOLD)
    assert recoverable(table, primary) == {(0, 2)}
    hidden = suppress(table)
    assert primary < hidden
    assert recoverable(table, hidden) == set()


counts = st.integers(min_value=0, max_value=40)


@st.composite
def tables(draw: st.DrawFn) -> CountTable:
    rows = draw(st.integers(min_value=1, max_value=5))
    columns = draw(st.integers(min_value=1, max_value=5))
    cells = draw(st.lists(st.lists(counts, min_size=columns, max_size=columns), min_size=rows, max_size=rows))
    return additive(cells, rows=draw(st.booleans()), columns=draw(st.booleans()), grand=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_count_under_ten_is_ever_shown(table: CountTable) -> None:
    hidden = suppress(table)
    assert all(table.count(position) >= THRESHOLD for position in table.positions() if position not in hidden)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_hidden_figure_follows_by_subtraction_in_its_row_or_column(table: CountTable) -> None:
    hidden = suppress(table)
    for parts, total in table.lines():
        if total not in hidden:
            assert sum(part in hidden for part in parts) != 1, (parts, total, hidden)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_hidden_figure_follows_from_all_the_sums_together(table: CountTable) -> None:
    hidden = suppress(table)
    assert determined_by_rank(table, hidden) == set()
    assert recoverable(table, hidden) == set()


@settings(max_examples=200, deadline=None)
@given(tables())
def test_the_equation_check_agrees_with_an_independent_rank_check(table: CountTable) -> None:
    primary = frozenset(position for position in table.positions() if table.count(position) < THRESHOLD)
    assert recoverable(table, primary) == determined_by_rank(table, primary)


def test_a_table_without_rows_still_has_its_totals() -> None:
    table = CountTable((), row_totals=(), column_totals=(0, 0, 12), grand_total=12)
    assert suppress(table) == {(0, 0), (0, 1)}

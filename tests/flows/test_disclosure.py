"""Small-number suppression: nothing under 10 is shown, and no hidden figure follows from what is shown (or guessed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.disclosure import THRESHOLD, CountTable, LinkedCounts, Position, recoverable, suppress, suppress_linked


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


# --- Empty cells that everyone can guess, and cells known to hold at least one person ---


def test_an_empty_cell_does_not_protect_a_small_one_when_zeros_are_known() -> None:
    # Week totals 30 and 4, and ten empty weeks: without known zeros the empty weeks "protect" the 4.
    cells = [[30], [4], *([[0]] * 10)]
    table = additive(cells, rows=False, grand=False)
    assert suppress(table) == {(row, 0) for row in range(1, 12)}  # the 4 hides among the zeros
    hidden = suppress(table, known_zeros=True)
    assert (0, 0) in hidden or (12, 0) in hidden  # the 30 or the total goes too
    unknown = {position for position in hidden if table.count(position)}
    assert recoverable(table, unknown) == set()


def test_two_hidden_areas_of_one_member_each_would_follow_from_the_total() -> None:
    table = additive([[12], [1], [1], [15]], rows=False, grand=False)
    assert suppress(table) == {(1, 0), (2, 0)}  # as equations alone, 1 + 1 = 2 is safe
    hidden = suppress(table, known_zeros=True)  # but each area is known to hold someone: both must be 1
    assert {(1, 0), (2, 0), (0, 0)} <= hidden


def test_a_position_hidden_for_another_reason_is_protected_like_a_small_one() -> None:
    table = additive([[20], [30], [40]], rows=False, grand=False)
    assert suppress(table) == frozenset()
    hidden = suppress(table, also=[(1, 0)])
    assert (1, 0) in hidden and len(hidden) == 2
    assert recoverable(table, hidden) == set()


@settings(max_examples=300, deadline=None)
@given(tables())
def test_with_known_zeros_no_hidden_count_follows_from_the_sums_and_the_zeros(table: CountTable) -> None:
    hidden = suppress(table, known_zeros=True)
    assert all(table.count(position) >= THRESHOLD for position in table.positions() if position not in hidden)
    unknown = frozenset(position for position in hidden if table.count(position) != 0)
    assert determined_by_rank(table, unknown) == set()
    for parts, total in table.lines():  # and no line's hidden parts are all ones
        hidden_parts = [part for part in parts if part in unknown]
        if total not in hidden and len(hidden_parts) > 1:
            assert sum(table.count(part) for part in hidden_parts) != len(hidden_parts)


# --- Linked figures: members at the start + new members = members at the end, and so on ---


def linked(**counts: int) -> LinkedCounts:
    return LinkedCounts.of(
        counts,
        [(("start", "new"), "end"), (("keeping", "not_keeping"), "end")],
        unshown={"start", "not_keeping"},
        spare={"keeping"},
    )


def test_a_small_difference_of_two_shown_figures_hides_one_of_them() -> None:
    figures = linked(end=27, start=13, new=14, keeping=25, not_keeping=2)
    hidden = suppress_linked(figures)
    assert "not_keeping" in hidden and "keeping" in hidden  # 27 - 25 would give the 2 away
    assert {"end", "new"}.isdisjoint(hidden)


def test_an_undisplayed_figure_is_hidden_first_when_that_is_enough() -> None:
    figures = linked(end=30, start=27, new=3, keeping=30, not_keeping=0)
    hidden = suppress_linked(figures)
    assert "new" in hidden and "start" in hidden  # 30 - 27 is not possible: the 27 is never shown
    assert "end" not in hidden


def test_a_sum_naming_an_unknown_figure_is_refused() -> None:
    with pytest.raises(ValueError, match="no count"):
        LinkedCounts.of({"a": 1}, [(("a", "b"), "a")])

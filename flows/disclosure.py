"""Small-number suppression: no group of fewer than 10 people is shown, and none can be worked out from the rest.

A table of counts of people is shown with some of its totals. Three rules decide what is hidden:

1. primary: any cell, or total, counting fewer than `THRESHOLD` people is hidden;
2. secondary: in a row or column whose total is shown, a single hidden cell could be had by subtraction, so the
   smallest cell still shown there is hidden too (or, when none is left, the total);
3. a final check solves the table's sums as equations (exact fractions) and keeps hiding while any hidden entry
   still follows from what is shown: two rows and two columns together can give a cell away even when every
   line has two hidden cells.

With `known_zeros`, a hidden zero is taken as known to the reader (an empty week or area is easy to guess), so it
never protects another hidden figure, and every other hidden cell is taken to be at least 1: a line whose hidden
cells add up to exactly their number (all ones) gives them away and is protected further.

Positions are (row, column); the totals row has index `rows` and the totals column index `columns`. Besides a
`CountTable`, `LinkedCounts` holds named figures tied by sums (members at the start + new members = members at
the end), some of which are never displayed but follow from those that are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

THRESHOLD = 10

Position = tuple[int, int]
Line = tuple[tuple[Position, ...], Position]


class Sums(Protocol):
    """Counts at positions, and the sums among them that a reader can see."""

    def positions(self) -> list[Position]:
        """Return every position, shown or hidden."""
        ...  # pragma: no cover

    def count(self, position: Position) -> int:
        """Return the count at a position."""
        ...  # pragma: no cover

    def lines(self) -> list[Line]:
        """Return each sum as its parts and its total."""
        ...  # pragma: no cover

    def cost(self, position: Position) -> int:
        """Say how much is lost by hiding a position (the cheapest is hidden first when more must go)."""
        ...  # pragma: no cover


@dataclass(frozen=True)
class CountTable:
    """Counts of people in a grid, with the totals shown beside it (None: that total is not shown)."""

    cells: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...] | None = None
    column_totals: tuple[int, ...] | None = None
    grand_total: int | None = None

    def __post_init__(self) -> None:
        """Refuse ragged grids and totals of the wrong length."""
        widths = {len(row) for row in self.cells}
        if len(widths) > 1:
            raise ValueError("every row needs the same number of cells")
        if self.row_totals is not None and len(self.row_totals) != self.rows:
            raise ValueError("one row total per row")
        if self.column_totals is not None and len(self.column_totals) != self.columns:
            raise ValueError("one column total per column")

    @property
    def rows(self) -> int:
        """Number of rows of cells."""
        return len(self.cells)

    @property
    def columns(self) -> int:
        """Number of columns of cells (taken from the column totals when there are no rows)."""
        if self.cells:
            return len(self.cells[0])
        return len(self.column_totals) if self.column_totals is not None else 0

    def count(self, position: Position) -> int:
        """Return the count at a position (a cell or a total)."""
        row, column = position
        if row < self.rows and column < self.columns:
            return self.cells[row][column]
        if row < self.rows and self.row_totals is not None:
            return self.row_totals[row]
        if column < self.columns and self.column_totals is not None:
            return self.column_totals[column]
        if self.grand_total is None:
            raise KeyError(position)
        return self.grand_total

    def positions(self) -> list[Position]:
        """Return every position that is shown or hidden: the cells and the totals given."""
        found = [(row, column) for row in range(self.rows) for column in range(self.columns)]
        if self.row_totals is not None:
            found += [(row, self.columns) for row in range(self.rows)]
        if self.column_totals is not None:
            found += [(self.rows, column) for column in range(self.columns)]
        if self.grand_total is not None:
            found.append((self.rows, self.columns))
        return found

    def lines(self) -> list[Line]:
        """Return each sum the table shows: the parts and the position of their total (a total of nothing is no sum)."""
        rows, columns = self.rows, self.columns
        found: list[Line] = []
        if self.row_totals is not None:
            found += [(tuple((row, column) for column in range(columns)), (row, columns)) for row in range(rows)]
        if self.column_totals is not None:
            found += [(tuple((row, column) for row in range(rows)), (rows, column)) for column in range(columns)]
        if self.grand_total is not None:
            corner = (rows, columns)
            if self.row_totals is not None:
                found.append((tuple((row, columns) for row in range(rows)), corner))
            if self.column_totals is not None:
                found.append((tuple((rows, column) for column in range(columns)), corner))
            if self.row_totals is None and self.column_totals is None:
                every = tuple((row, column) for row in range(rows) for column in range(columns))
                found.append((every, corner))
        return [(parts, total) for parts, total in found if parts]

    def is_cell(self, position: Position) -> bool:
        """Say whether a position is a cell rather than a total."""
        return position[0] < self.rows and position[1] < self.columns

    def cost(self, position: Position) -> int:
        """Hide a cell before a total."""
        return 1 if self.is_cell(position) else 2


@dataclass(frozen=True)
class LinkedCounts:
    """Named counts tied together by sums, each sum a tuple of part names and the name of their total.

    `unshown` figures are never displayed but follow from those that are (members at the start = members at the
    end - new members): one under the threshold must not follow, and one at or above it costs nothing to treat as
    hidden. `spare` figures are hidden first when something more must go.
    """

    counts: tuple[tuple[str, int], ...]
    sums: tuple[tuple[tuple[str, ...], str], ...]
    unshown: frozenset[str] = frozenset()
    spare: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        counts: Mapping[str, int],
        sums: Iterable[tuple[Sequence[str], str]],
        unshown: Iterable[str] = (),
        spare: Iterable[str] = (),
    ) -> LinkedCounts:
        """Build from a mapping of names to counts; refuse a sum that names an unknown figure."""
        linked = cls(
            tuple(counts.items()),
            tuple((tuple(parts), total) for parts, total in sums),
            frozenset(unshown),
            frozenset(spare),
        )
        known = set(counts)
        if any(name not in known for parts, total in linked.sums for name in (*parts, total)):
            raise ValueError("a sum names a figure that has no count")
        return linked

    @property
    def names(self) -> tuple[str, ...]:
        """The figures' names, in the order given."""
        return tuple(name for name, _ in self.counts)

    def position(self, name: str) -> Position:
        """Return the position of a named figure."""
        return (self.names.index(name), 0)

    def positions(self) -> list[Position]:
        """Return one position per figure."""
        return [(index, 0) for index in range(len(self.counts))]

    def count(self, position: Position) -> int:
        """Return a figure's count."""
        return self.counts[position[0]][1]

    def lines(self) -> list[Line]:
        """Return each sum by positions."""
        return [(tuple(self.position(part) for part in parts), self.position(total)) for parts, total in self.sums]

    def cost(self, position: Position) -> int:
        """Hide an undisplayed figure first, then a spare one, then any other."""
        name = self.counts[position[0]][0]
        return 0 if name in self.unshown else 1 if name in self.spare else 2


def suppress(
    table: Sums, threshold: int = THRESHOLD, *, known_zeros: bool = False, also: Iterable[Position] = ()
) -> frozenset[Position]:
    """Return the positions to hide so that no count under `threshold` is shown or can be worked out.

    `also` names positions hidden for another reason (an average at the end of its scale), protected the same way.
    """
    hidden = {position for position in table.positions() if table.count(position) < threshold} | set(also)
    known = {position for position in hidden if table.count(position) == 0} if known_zeros else set()
    while True:
        if _hide_lone_cells(table, hidden, known, positive=known_zeros):
            continue
        exposed = recoverable(table, hidden - known)
        if not exposed:
            return frozenset(hidden)
        extra = _complement_for(table, hidden, min(exposed))
        if extra is None:
            return frozenset(hidden)
        hidden.add(extra)


def suppress_linked(linked: LinkedCounts, threshold: int = THRESHOLD) -> frozenset[str]:
    """Return the names of the figures to hide (undisplayed ones included) in a set of linked counts."""
    return frozenset(linked.names[row] for row, _ in suppress(linked, threshold))


def recoverable(table: Sums, hidden: Iterable[Position]) -> set[Position]:
    """Return the hidden positions whose value follows exactly from the shown counts and the table's sums."""
    unknown = set(hidden)
    equations: list[dict[Position, Fraction]] = []
    for parts, total in table.lines():
        equation = {part: Fraction(1) for part in parts if part in unknown}
        if total in unknown:
            equation[total] = Fraction(-1)
        if equation:
            equations.append(equation)
    return {pivot for pivot, row in _reduced(equations) if len(row) == 1}


def _hide_lone_cells(table: Sums, hidden: set[Position], known: set[Position], positive: bool) -> bool:
    """Apply the line rule once; return whether anything more was hidden.

    A line with a shown total gives a hidden part away when it is the only unknown one, or (`positive`: every
    unknown part is at least 1) when the unknown parts add up to exactly their number.
    """
    changed = False
    for parts, total in table.lines():
        if total in hidden:
            continue
        unknown = [part for part in parts if part in hidden and part not in known]
        if not unknown:
            continue
        all_ones = positive and sum(table.count(part) for part in unknown) == len(unknown)
        if len(unknown) != 1 and not all_ones:
            continue
        shown = [part for part in parts if part not in hidden]
        hidden.add(_cheapest(table, [*shown, total]))
        changed = True
    return changed


def _complement_for(table: Sums, hidden: set[Position], exposed: Position) -> Position | None:
    """Pick one more position to hide so that `exposed` stops following from the rest."""
    near = [position for parts, total in table.lines() if exposed in (*parts, total) for position in (*parts, total)]
    for pool in (near, table.positions()):
        shown = [position for position in dict.fromkeys(pool) if position not in hidden]
        if shown:
            return _cheapest(table, shown)
    return None


def _cheapest(table: Sums, positions: Sequence[Position]) -> Position:
    return min(positions, key=lambda position: (table.cost(position), table.count(position), position))


def _reduced(equations: list[dict[Position, Fraction]]) -> list[tuple[Position, dict[Position, Fraction]]]:
    """Bring sparse equations to reduced row echelon form; return (pivot, row) pairs."""
    rows: list[tuple[Position, dict[Position, Fraction]]] = []
    for equation in equations:
        row = dict(equation)
        for pivot, done in rows:  # eliminate known pivots from the new row
            factor = row.get(pivot)
            if factor:
                _subtract(row, done, factor)
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {key: value / scale for key, value in row.items()}
        for index, (other_pivot, other) in enumerate(rows):  # and the new pivot from the rows before
            factor = other.get(pivot)
            if factor:
                _subtract(other, row, factor)
                rows[index] = (other_pivot, other)
        rows.append((pivot, row))
    return rows


def _subtract(row: dict[Position, Fraction], other: dict[Position, Fraction], factor: Fraction) -> None:
    for key, value in other.items():
        updated = row.get(key, Fraction(0)) - factor * value
        if updated:
            row[key] = updated
        else:
            row.pop(key, None)

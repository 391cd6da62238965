"""Draw a member's trends as a PNG: mood and each instrument over time, with the lower bands shaded."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.dates import DateFormatter

from flows.trends import Series

MOOD_LABELS = {1: "Very low", 2: "Low", 3: "Okay", 4: "Good", 5: "Great"}
SHADE = "#f4d6d6"


class TrendChart:
    """Renders trends; instrument bands come from the instruments' data."""

    def __init__(self, instruments: Mapping[str, Any]) -> None:
        """Remember the instruments, for their bands and scales."""
        self._instruments = instruments

    def render(self, series: Sequence[Series], weeks: int, now: datetime) -> bytes:
        """Return a PNG of the series over the last `weeks` weeks."""
        shown = [item for item in series if item.points or item.key == "mood"]
        figure, axes = plt.subplots(len(shown), 1, figsize=(6, 2.4 * len(shown)), sharex=True, squeeze=False)
        start = now - timedelta(weeks=weeks)
        for axis, item in zip(axes[:, 0], shown, strict=True):
            self._draw(axis, item)
            axis.set_xlim(start, now)
        axes[-1, 0].xaxis.set_major_formatter(DateFormatter("%d %b"))
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        return buffer.getvalue()

    def _draw(self, axis: Any, item: Series) -> None:
        times = [moment for moment, _ in item.points]
        values = [value for _, value in item.points]
        if item.key == "mood":
            axis.axhspan(0.5, 2.5, color=SHADE, zorder=0)
            axis.set_ylim(0.5, 5.5)
            axis.set_yticks(list(MOOD_LABELS), list(MOOD_LABELS.values()))
        else:
            instrument_id, _, measure = item.key.partition(":")
            for band in getattr(self._instruments.get(instrument_id), "bands", ()):
                if getattr(band, "concern", False) and (band.measure or "") in ("", measure, instrument_id):
                    axis.axhspan(band.min, band.max, color=SHADE, zorder=0)
        axis.plot(times, values, marker="o", color="#1f5f8b")
        axis.set_title(item.title, fontsize=10, loc="left")
        axis.grid(axis="y", alpha=0.3)

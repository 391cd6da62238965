"""The funder report as an A4 PDF (fpdf2): plain text and tables, the same figures as the HTML page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from flows.funder_report import ABOUT_FIGURES, COMPARING, Figure, FunderReport
from flows.insight import LONDON

FONT = "DejaVu"
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))


@dataclass(frozen=True)
class PdfTable:
    """One table of the PDF: a heading, column names, rows, and the share of the width each column takes."""

    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]


def pdf_tables(report: FunderReport) -> tuple[PdfTable, ...]:
    """The report's tables exactly as the PDF prints them (the HTML page shows the same values)."""
    figures = ("Figure", "Value", "Members behind it", "Note")
    widths = (40, 12, 14, 34)

    def rows(section: Sequence[Figure]) -> tuple[tuple[str, ...], ...]:
        return tuple((figure.label, figure.value, figure.members, figure.note) for figure in section)

    outcomes = tuple((row.label, row.members, row.first, row.last, row.change, row.note) for row in report.outcomes)
    return (
        PdfTable("Reach", figures, rows(report.reach), widths),
        PdfTable("Engagement", figures, rows(report.engagement), widths),
        PdfTable(
            "Wellbeing change (members measured at least twice in the period)",
            ("Measure", "Members (band)", "Average first", "Average last", "Average change", "Note"),
            outcomes,
            (30, 11, 12, 12, 12, 23),
        ),
        PdfTable("Activities", figures, rows(report.activities), widths),
    )


@cache
def _font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans, which matplotlib ships, so names in any script print; None falls back to Helvetica."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.exists() and bold.exists() else None


class _ReportPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        fonts = _font_files()
        if fonts is not None:
            self.add_font(FONT, "", str(fonts[0]))
            self.add_font(FONT, "B", str(fonts[1]))
            self.family = FONT
        else:  # pragma: no cover (matplotlib always ships its fonts)
            self.family = "Helvetica"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.cell(0, 6, f"{self.footer_text} · page {self.page_no()} of {{nb}}", align="C")


def report_pdf(report: FunderReport, made_at: datetime) -> bytes:
    """Lay the report out on A4 pages and return the PDF's bytes."""
    pdf = _ReportPdf(f"Cairn funder report: {report.organisation}, {report.period.text}")
    pdf.set_title(f"Funder report: {report.organisation}")
    pdf.set_creator("Cairn")
    pdf.set_creation_date(made_at)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    family = pdf.family
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, f"Funder report: {report.organisation}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    made = made_at.astimezone(LONDON)
    period = f"Period: {report.period.text} (whole months, Europe/London)."
    pdf.multi_cell(0, 5, period, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, f"Made on {made.day} {made:%B %Y} at {made:%H:%M}.", new_x="LMARGIN", new_y="NEXT")
    for paragraph in (ABOUT_FIGURES, COMPARING):
        pdf.ln(1)
        pdf.multi_cell(0, 5, paragraph, new_x="LMARGIN", new_y="NEXT")
    for table in pdf_tables(report):
        pdf.ln(3)
        pdf.set_font(family, "B", 12)
        pdf.multi_cell(0, 7, table.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=8.5)
        with pdf.table(col_widths=table.widths, headings_style=HEADINGS, line_height=4.5, padding=1) as grid:
            grid.row(table.columns)
            for row in table.rows:
                grid.row(row)
    return bytes(pdf.output())

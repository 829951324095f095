#!/usr/bin/python3
"""Writes the same budget annex workbook with Python's XlsxWriter (Debian
python3-xlsxwriter) and reports documents/second, for comparison with
bench_xlsx (BM_BudgetAnnexXlsxWriterOnly: the libxlsxwriter writer alone).

usage: bench/xlsx_python_compare.py WORKBOOK.xlsx [seconds]
  WORKBOOK.xlsx: the workbook Passerelle renders, e.g.
    build/src/app/passerelle render budget-annexe examples/budget-annexe-sarthe-plateformes.json -o /tmp/b.xlsx

The workbook is read once with openpyxl (cells, formulas with their cached
values, number formats, bold/fill/borders/wrap, merges, column widths, print
set-up, conditional formats, charts); the timed loop only writes it again with
XlsxWriter in memory (in_memory=True, BytesIO), as Passerelle's writer does.
"""
import io
import re
import sys
import time
import zipfile

import openpyxl
import xlsxwriter


def load(path):
    wb = openpyxl.load_workbook(path)
    wv = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        vs = wv[ws.title]
        merged = {}
        for rng in ws.merged_cells.ranges:
            merged[(rng.min_row - 1, rng.min_col - 1)] = (rng.max_row - 1, rng.max_col - 1)
        cells = []
        for row in ws.iter_rows():
            for c in row:
                style = (c.number_format, bool(c.font.b), c.font.sz,
                         c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None,
                         bool(c.border.left.style), bool(c.alignment.wrap_text))
                if c.value is None and not style[3] and not style[4]:
                    continue
                cells.append((c.row - 1, c.column - 1, c.value, vs[c.coordinate].value, style))
        widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
        cf = [(str(r.sqref), [f for rule in rules for f in (rule.formula or [])]) for r, rules in ws.conditional_formatting._cf_rules.items()]
        header = "&L" + (ws.oddHeader.left.text or "") + "&R" + (ws.oddHeader.right.text or "")
        footer = "&L" + (ws.oddFooter.left.text or "") + "&R" + (ws.oddFooter.right.text or "")
        sheets.append({"name": ws.title, "cells": cells, "merged": merged, "widths": widths, "cf": cf,
                       "header": header, "footer": footer})
    charts = []
    with zipfile.ZipFile(path) as z:
        drawing_rels = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
        for name, xml in sorted(drawing_rels.items()):
            kind = "pie" if "<c:pieChart>" in xml else "column"
            title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("</c:title>")[0]))
            series = re.findall(r"<c:cat>\s*<c:(?:str|num)Ref>\s*<c:f>([^<]*)</c:f>.*?<c:val>\s*<c:numRef>\s*<c:f>([^<]*)</c:f>", xml, re.S)
            charts.append({"kind": kind, "title": title, "series": series})
    return sheets, charts


def write(sheets, charts):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"title": "Annexe budgétaire", "author": "Passerelle", "created": CREATED})
    formats = {}

    def fmt(style):
        f = formats.get(style)
        if f is None:
            nf, bold, size, fill, border, wrap = style
            props = {"font_name": "Arial", "font_size": size or 10, "num_format": nf}
            if bold:
                props["bold"] = True
            if fill:
                props["bg_color"] = "#" + fill[-6:]
            if border:
                props["border"] = 1
            if wrap:
                props["text_wrap"] = True
            f = formats[style] = wb.add_format(props)
        return f

    red = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000"})
    green = wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
    for i, sh in enumerate(sheets):
        ws = wb.add_worksheet(sh["name"])
        for col, width in sh["widths"].items():
            ws.set_column(col + ":" + col, width)
        for r, c, value, cached, style in sh["cells"]:
            f = fmt(style)
            if (r, c) in sh["merged"]:
                r2, c2 = sh["merged"][(r, c)]
                ws.merge_range(r, c, r2, c2, "", f)
            if isinstance(value, str) and value.startswith("="):
                ws.write_formula(r, c, value, f, cached)
            elif isinstance(value, str):
                ws.write_string(r, c, value, f)
            elif value is None:
                ws.write_blank(r, c, None, f)
            elif hasattr(value, "year"):
                ws.write_datetime(r, c, value, f)
            else:
                ws.write_number(r, c, value, f)
        for rng, formulas in sh["cf"]:
            for formula, colour in zip(formulas, (red, green)):
                ws.conditional_format(rng, {"type": "formula", "criteria": "=" + formula, "format": colour})
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_header(sh["header"])
        ws.set_footer(sh["footer"])
        if i == 1:
            for k, ch in enumerate(charts):
                chart = wb.add_chart({"type": ch["kind"]})
                chart.set_title({"name": ch["title"]})
                for cats, vals in ch["series"]:
                    chart.add_series({"categories": "=" + cats, "values": "=" + vals,
                                      "data_labels": {"percentage": True, "category": True} if ch["kind"] == "pie" else {}})
                ws.insert_chart(15, 4 * k, chart)
    wb.close()
    return out.getvalue()


CREATED = None


def main(path, seconds):
    global CREATED
    import datetime
    CREATED = datetime.datetime(2014, 9, 30)
    sheets, charts = load(path)
    data = write(sheets, charts)
    check = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert check.sheetnames == [s["name"] for s in sheets], check.sheetnames
    n = 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        write(sheets, charts)
        n += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU time as well as wall time: on a loaded machine, compare with Google Benchmark's "CPU" column.
    print("Python %s, XlsxWriter %s: %d workbooks in %.2f s = %.1f documents/s (%.2f ms each, %.2f ms CPU each), %d bytes, %d cells"
          % (sys.version.split()[0], xlsxwriter.__version__, n, elapsed, n / elapsed, 1000 * elapsed / n, 1000 * cpu / n, len(data),
             sum(len(s["cells"]) for s in sheets)))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 5.0)

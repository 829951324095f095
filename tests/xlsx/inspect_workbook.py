#!/usr/bin/python3
"""Dumps an .xlsx as JSON for the C++ tests, read back with openpyxl (Debian
python3-openpyxl) plus the raw package parts openpyxl does not expose.

usage: inspect_workbook.py WORKBOOK.xlsx

Output: {"sheets": [names], "properties": {...}, "charts": [{"part", "types", "title", "series"}],
         "cells": {"Sheet!A1": {"value", "cached", "type", "format", "bold"}},
         "merged": {"Sheet": [ranges]}, "print": {"Sheet": {...}},
         "conditional": {"Sheet": [{"range", "formulas"}]},
         "rows": {"Sheet": {"<1-based row>": height in points}} (rows with a custom height),
         "columns": {"Sheet": {"A": width in characters}}}
A chart's "names" are its series names as a reader shows them: the cached text
of a reference (<c:strCache>), or the literal <c:v>; "nameRefs" the references;
"categoryCaches" whether each category reference carries cached values.
"value" is what openpyxl reads with formulas ("=SUM(...)" for a formula cell),
"cached" what it reads with data_only=True (the value stored with the formula).
"""
import json
import re
import sys
import zipfile

import openpyxl


def main(path):
    wb = openpyxl.load_workbook(path)                  # formulas
    wv = openpyxl.load_workbook(path, data_only=True)  # cached values
    out = {"sheets": wb.sheetnames, "cells": {}, "merged": {}, "print": {}, "conditional": {}, "charts": [], "rows": {}}
    p = wb.properties
    out["properties"] = {
        "title": p.title, "subject": p.subject, "creator": p.creator, "category": p.category,
        "created": p.created.isoformat() if p.created else None,
    }
    for ws in wb.worksheets:
        vs = wv[ws.title]
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                v = c.value
                cached = vs[c.coordinate].value
                out["cells"][ws.title + "!" + c.coordinate] = {
                    "value": v if isinstance(v, (int, float, str, bool)) else str(v),
                    "cached": cached if isinstance(cached, (int, float, str, bool)) or cached is None else str(cached),
                    "type": c.data_type,
                    "format": c.number_format,
                    "bold": bool(c.font and c.font.b),
                    "wrap": bool(c.alignment and c.alignment.wrap_text),
                    "size": float(c.font.sz) if c.font and c.font.sz else 11.0,
                }
        out["merged"][ws.title] = [str(r) for r in ws.merged_cells.ranges]
        ps = ws.page_setup
        out["print"][ws.title] = {
            "orientation": ps.orientation,
            "paperSize": int(ps.paperSize) if ps.paperSize is not None else None,
            "fitToPage": bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
            "fitToWidth": ps.fitToWidth,
            "fitToHeight": ps.fitToHeight,
            "headerLeft": ws.oddHeader.left.text,
            "headerRight": ws.oddHeader.right.text,
            "footerLeft": ws.oddFooter.left.text,
            "footerRight": ws.oddFooter.right.text,
            "scale": ps.scale,
            "printArea": ws.print_area if isinstance(ws.print_area, str) else (",".join(ws.print_area) if ws.print_area else None),
            "printTitleRows": ws.print_title_rows,
            "breaks": [b.id for b in ws.row_breaks.brk],
        }
        out["columns"] = out.get("columns", {})
        widths = {}
        for d in ws.column_dimensions.values():
            if d.width and d.min and d.max:
                for i in range(d.min, d.max + 1):
                    widths[openpyxl.utils.get_column_letter(i)] = d.width
        out["columns"][ws.title] = widths
        out["rows"][ws.title] = {str(r): d.height for r, d in ws.row_dimensions.items() if d.customHeight and d.height}
        cf = []
        for rng, rules in ws.conditional_formatting._cf_rules.items():
            cf.append({"range": str(rng.sqref), "formulas": [f for r in rules for f in (r.formula or [])]})
        out["conditional"][ws.title] = cf
    # Charts: openpyxl does not read them back reliably; read the chart parts themselves.
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if re.match(r"xl/charts/chart\d+\.xml$", name):
                xml = z.read(name).decode("utf-8")
                types = re.findall(r"<c:(pieChart|barChart|lineChart|areaChart|doughnutChart)>", xml)
                grouping = re.findall(r'<c:grouping val="(\w+)"', xml)
                title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("</c:title>")[0])) if "<c:title>" in xml else ""
                series = re.findall(r"<c:val>\s*<c:numRef>\s*<c:f>([^<]*)</c:f>", xml)
                cats = re.findall(r"<c:cat>\s*<c:(?:str|num)Ref>\s*<c:f>([^<]*)</c:f>", xml)
                names, refs = [], []
                for ser in re.findall(r"<c:ser>(.*?)</c:ser>", xml, re.S):
                    tx = re.search(r"<c:tx>(.*?)</c:tx>", ser, re.S)
                    if not tx:
                        names.append(None); refs.append(None); continue
                    f = re.search(r"<c:f>([^<]*)</c:f>", tx.group(1))
                    refs.append(f.group(1) if f else None)
                    cached = re.search(r"<c:strCache>.*?<c:v>([^<]*)</c:v>", tx.group(1), re.S)
                    literal = re.match(r"\s*<c:v>([^<]*)</c:v>", tx.group(1))
                    names.append(cached.group(1) if cached else (literal.group(1) if literal and not f else None))
                cat_caches = [bool(re.search(r"<c:(?:str|num)Cache>\s*<c:ptCount val=\"[1-9]", c))
                              for c in re.findall(r"<c:cat>(.*?)</c:cat>", xml, re.S)]
                out["charts"].append({"part": name, "types": types, "grouping": grouping, "title": title,
                                      "series": series, "categories": cats, "names": names, "nameRefs": refs,
                                      "categoryCaches": cat_caches})
        out["parts"] = sorted(z.namelist())
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/python3
"""Draws the same laid-out fiche navette (one name outside Windows-1252, "Nguyễn") with
ReportLab (Debian python3-reportlab) and an embedded TrueType font, and reports the median
time per document, for comparison with bench_pdf (BM_FicheNavette_NonCp1252Name).

usage: bench/reportlab_compare.py LAYOUT.json [documents]
  LAYOUT.json: build/bench/bench_pdf --dump-layout /tmp/fiche-layout.json

The pages are read once (every text item, line and box with its position, as Passerelle laid
them out); the timed loop draws them with a canvas in memory: base-14 Helvetica for text that
fits Windows-1252 and Liberation Sans (registered once per process, as Passerelle parses its
faces once) embedded — ReportLab subsets it per document — for the rest, then saves.
"""
import io
import json
import statistics
import sys
import time

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = "fonts"


def fits_cp1252(s):
    try:
        s.replace("\u202f", "\u00a0").encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def draw(doc):
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(doc["width"], doc["height"]), pageCompression=1)
    H = doc["height"]
    for page in doc["pages"]:
        for it in page:
            if it["k"] == 3:  # filled box
                c.setFillGray(it["gray"])
                c.rect(it["x"], H - it["y"] - it["h"], it["w"], it["h"], stroke=0, fill=1)
        c.setLineWidth(0.5)
        for it in page:
            if it["k"] == 1:
                c.setStrokeGray(it["gray"])
                c.line(it["x"], H - it["y"], it["x"] + it["w"], H - it["y"] - it["h"])
            elif it["k"] == 2:
                c.setStrokeGray(it["gray"])
                c.rect(it["x"], H - it["y"] - it["h"], it["w"], it["h"], stroke=1, fill=0)
        for it in page:
            if it["k"] != 0 or not it["text"]:
                continue
            if fits_cp1252(it["text"]):
                font = "Helvetica-Bold" if it["bold"] else "Helvetica"
            else:
                font = "LiberationSans-Bold" if it["bold"] else "LiberationSans"
            c.setFont(font, it["size"])
            c.setFillGray(it["gray"])
            c.drawString(it["x"], H - it["y"], it["text"])
        c.showPage()
    c.save()
    return out.getvalue()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    pdfmetrics.registerFont(TTFont("LiberationSans", FONTS + "/LiberationSans-Regular.ttf"))
    pdfmetrics.registerFont(TTFont("LiberationSans-Bold", FONTS + "/LiberationSans-Bold.ttf"))
    draw(doc)  # warm-up
    times, cpu = [], []
    size = 0
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        size = len(draw(doc))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(f"ReportLab {__import__('reportlab').Version} + embedded TTF: median {statistics.median(times):.2f} ms wall, "
          f"{statistics.median(cpu):.2f} ms CPU per document over {n} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

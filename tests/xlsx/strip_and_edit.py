#!/usr/bin/python3
"""Rewrites a workbook with openpyxl, which keeps the formulas but drops every
cached value: a reader then shows right figures only if it recalculates.
Optional edits "Sheet!A1=value" (numbers or text) are applied first.

usage: strip_and_edit.py IN.xlsx OUT.xlsx [Sheet!A1=value ...]
"""
import sys

import openpyxl


def main(src, dst, edits):
    wb = openpyxl.load_workbook(src)
    for edit in edits:
        ref, value = edit.split("=", 1)
        sheet, cell = ref.split("!")
        try:
            v = float(value) if "." in value else int(value)
        except ValueError:
            v = value
        wb[sheet][cell] = v
    wb.save(dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])

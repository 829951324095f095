#!/usr/bin/python3
"""Looks for canaries in every part of an .xlsx package (each zip member,
decompressed and decoded as UTF-8, XML entities resolved).

usage: scan_parts.py WORKBOOK.xlsx CANARY...

Output: JSON {"parts": [names], "hits": [{"part", "canary"}]}.
"""
import html
import json
import sys
import zipfile


def main(path, canaries):
    hits, parts = [], []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            parts.append(name)
            text = z.read(name).decode("utf-8", errors="replace")
            plain = html.unescape(text)
            for c in canaries:
                if c in text or c in plain:
                    hits.append({"part": name, "canary": c})
    json.dump({"parts": parts, "hits": hits}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

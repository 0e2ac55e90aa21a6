#!/usr/bin/python3
"""Render the bad-input catalogue (tests/auto/badinputs/catalogue.tsv) as README.md's table.

    scripts/badinputs-table.py [CATALOGUE]            print the table
    scripts/badinputs-table.py [CATALOGUE] --write    replace the table in README.md

The table sits in README.md between <!-- badinputs-table:begin --> and
<!-- badinputs-table:end -->; tst_badinputs fails when it differs from what this prints.
Standard library only.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CATALOGUE = os.path.join(ROOT, "tests", "auto", "badinputs", "catalogue.tsv")
BEGIN = "<!-- badinputs-table:begin -->\n"
END = "<!-- badinputs-table:end -->"


def read_rows(path):
    header = None
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            if len(cells) != len(header):
                sys.exit(f"{path}: row {cells[0]!r} has {len(cells)} cells, expected {len(header)}")
            rows.append(dict(zip(header, cells)))
    return rows


def cell(text):
    """Markdown table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


def code(text):
    """An inline code span that survives backticks inside the text."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{cell(text)}{pad}{fence}"


def render(rows):
    lines = [
        "| # | Area | Bad input | What happens | Exit | The output contains |",
        "|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(rows, 1):
        shown = [code(f) for f in row["expect"].split(" | ")]
        if row["file"] != "-":
            shown.append("the name " + code(row["file"]))
        lines.append(
            f"| {number} | {row['area']} | {cell(row['input'])} | {cell(row['outcome'])} "
            f"| {row['exit']} | {' … '.join(shown)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv):
    write = "--write" in argv
    args = [a for a in argv if a != "--write"]
    catalogue = args[0] if args else DEFAULT_CATALOGUE
    table = render(read_rows(catalogue))
    if not write:
        sys.stdout.write(table)
        return 0
    readme_path = os.path.join(ROOT, "README.md")
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    begin = readme.find(BEGIN)
    end = readme.find(END)
    if begin < 0 or end < begin:
        sys.exit(f"{readme_path}: no {BEGIN.strip()} ... {END} markers")
    readme = readme[: begin + len(BEGIN)] + table + readme[end:]
    with open(readme_path, "w", encoding="utf-8") as f:
        f.write(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build chatbot/data/onet-titles.tsv from O*NET 29.3 titles: python scripts/build_titles.py PATH/onet-titles.tsv.

Input columns: title, short_title, onet_soc_code, occupation, kind (the shared lexicon's format).
Output columns: title (the long form, without a parenthesised short form), short (the short form or
acronym, else empty), code; one row per distinct triple, in input order.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "chatbot" / "data" / "onet-titles.tsv"
_PARENS = re.compile(r"^(.*?)\s*\(([^()]*)\)$")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&/-]*[A-Z]$")


def split_title(title: str, short: str) -> tuple[str, str]:
    """'User Experience Designer (UX Designer)', 'UX Designer' -> both forms; 'CEO (Chief Executive Officer)' too."""
    match = _PARENS.match(title)
    if not match:
        return title, short
    outside, inside = match.group(1).strip(), match.group(2).strip()
    if short and short == outside:
        return inside, short
    if short:
        return outside, short
    if _ACRONYM.match(inside):  # "Licensed Mental Health Counselor (LMHC)" gives no short_title
        return outside, inside
    return title, ""


def main(argv: list[str]) -> int:
    """Write the trimmed lexicon."""
    if len(argv) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    rows: dict[tuple[str, str, str], None] = {}
    with open(argv[0], encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            title, short = split_title(row["title"].strip(), row["short_title"].strip())
            rows[(title, short, row["onet_soc_code"].strip())] = None
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["title", "short", "code"])
        writer.writerows(rows)
    print(f"{len(rows)} titles -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

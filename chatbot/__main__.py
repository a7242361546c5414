"""python -m chatbot ask "QUESTION" | guides | calibrate [SET.jsonl ...] | gaps [--csv] | snapshot ROLE |
compare ROLE ROLE... ([--index DIR] [--json])."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    """Answer one question, or list the guides in the index, on the command line."""
    parser = argparse.ArgumentParser(prog="python -m chatbot", description="Ask the career guide chatbot.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one question from the guides")
    ask.add_argument("question")
    ask.add_argument("--index", type=Path, help="index folder (default: .index/)")
    ask.add_argument("--json", action="store_true", help="print the whole result as JSON")
    guides = commands.add_parser("guides", help="list the guides in the index with their roles")
    guides.add_argument("--index", type=Path, help="index folder (default: .index/)")
    guides.add_argument("--json", action="store_true", help='print {"guides": [...]} as JSON')
    calibrate = commands.add_parser("calibrate", help="compute the evidence threshold for this index's model")
    calibrate.add_argument("sets", nargs="*", type=Path, help="question sets (default: eval/dev.jsonl)")
    calibrate.add_argument("--index", type=Path, help="index folder (default: .index/)")
    calibrate.add_argument("--json", action="store_true", help="print the calibration as JSON")
    gaps = commands.add_parser("gaps", help="refused and disliked questions, grouped by meaning")
    gaps.add_argument("--index", type=Path, help="index folder (default: .index/)")
    gaps_format = gaps.add_mutually_exclusive_group()
    gaps_format.add_argument("--json", action="store_true", help='print {"gaps": [...]} as JSON')
    gaps_format.add_argument("--csv", action="store_true", help="print the gaps as CSV")
    snapshot = commands.add_parser("snapshot", help="a role's pay, time to get in, outlook, pros, cons and skills")
    snapshot.add_argument("role")
    snapshot.add_argument("--index", type=Path, help="index folder (default: .index/)")
    snapshot.add_argument("--json", action="store_true", help="print the card as JSON")
    compare = commands.add_parser("compare", help="two to four roles' snapshot facts side by side")
    compare.add_argument("roles", nargs="+", metavar="role")
    compare.add_argument("--index", type=Path, help="index folder (default: .index/)")
    compare.add_argument("--json", action="store_true", help="print the cards and the table as JSON")
    args = parser.parse_args(argv)
    if args.command == "compare" and not 2 <= len(args.roles) <= 4:
        compare.error("give two to four roles")

    from chatbot.errors import CareerBotError

    try:
        if args.command == "guides":
            return _guides(args.index, args.json)
        if args.command == "calibrate":
            return _calibrate(args.sets, args.index, args.json)
        if args.command == "snapshot":
            return _snapshot(args.role, args.index, args.json)
        if args.command == "compare":
            return _compare(args.roles, args.index, args.json)
        if args.command == "gaps":
            return _gaps(args.index, args.json, args.csv)
        return _ask(args.question, args.index, args.json)
    except CareerBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _ask(question: str, index: Path | None, as_json: bool) -> int:
    from chatbot.service import answer_function, load_settings

    answer = answer_function(load_settings(index_dir=index))(question, [])
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.text)
    if answer.sources:
        print("\nSources:")
        for s in answer.sources:
            page = f", page {s.page}" if s.page else ""
            print(f"  [{s.n}] {s.guide} > {s.section} ({s.source}{page})")
    return 0


def _guides(index: Path | None, as_json: bool) -> int:
    from chatbot.errors import IndexMissingError
    from chatbot.service import load_settings, open_store

    settings = load_settings(index_dir=index)
    store = open_store(settings)
    with store.reachable():
        if not store.exists():
            raise IndexMissingError(f"there is no index at {settings.index_dir} yet; run: python ingest.py")
        rows = [g.listing() for g in store.record.state().guides.values()]
    if as_json:
        print(json.dumps({"guides": rows}, ensure_ascii=False))
        return 0
    print(_table(rows))
    return 0


def _calibrate(sets: list[Path], index_dir: Path | None, as_json: bool) -> int:
    from chatbot.calibration import calibrate, save
    from chatbot.config import ROOT
    from chatbot.service import load_settings, open_index

    index = open_index(load_settings(index_dir=index_dir))
    result = calibrate(index, sets or [ROOT / "eval" / "dev.jsonl"])
    save(index, result)
    if as_json:
        print(result.to_json())
        return 0
    print(f"min_evidence {result.min_evidence} for {result.embedding_model}: questions to answer score >= "
          f"{result.lowest_in_scope} ({result.in_scope}), to refuse <= {result.highest_out_of_scope} "
          f"({result.out_of_scope}); {result.errors} on the wrong side. Kept with the index.")
    return 0


def _gaps(index_dir: Path | None, as_json: bool, as_csv: bool) -> int:
    from chatbot.embeddings import make_embedder
    from chatbot.feedback import FEEDBACK_FILE, FeedbackStore
    from chatbot.gaps import gaps, gaps_csv
    from chatbot.roles import Roles
    from chatbot.service import load_settings, open_store

    settings = load_settings(index_dir=index_dir)
    store = open_store(settings)
    roles = None
    with store.reachable():
        if store.exists():  # the covered roles' names are taken out before grouping
            roles = Roles.of_guides(store.record.state().guides.values())
    found = gaps(FeedbackStore(settings.index_dir / FEEDBACK_FILE), make_embedder(settings.embedding_model), roles)
    if as_json:
        print(json.dumps({"gaps": [g.to_dict() for g in found]}, ensure_ascii=False))
    elif as_csv:
        sys.stdout.write(gaps_csv(found))
    elif not found:
        print(f"No refused or disliked questions are stored in {settings.index_dir / FEEDBACK_FILE}.")
    else:
        print("\n".join(g.summary() for g in found))
    return 0


def _snapshot(role: str, index_dir: Path | None, as_json: bool) -> int:
    from chatbot.service import load_settings, open_index
    from chatbot.snapshot import LIST_KINDS, NOT_IN_GUIDE, Kind, snapshot

    card = snapshot(open_index(load_settings(index_dir=index_dir)), role)
    if as_json:
        print(json.dumps(card.to_dict(), ensure_ascii=False))
        return 0
    print(f"{card.role} ({', '.join(card.guides)})")
    if not card.has_figures:
        print("The guide states no figures: no pay, time to get in or outlook.")
    for kind in Kind:
        facts = card.facts(kind)
        if not facts:
            print(f"  {kind.value}: {NOT_IN_GUIDE}")
        for fact in facts:
            when = f"; {fact.when}" if fact.when and kind not in LIST_KINDS else ""
            print(f"  {kind.value}: {fact.value}  ({fact.source} > {fact.section}{when})")
    for step in card.timeline:
        print(f"  path: {step.step}: {step.duration.value}")
    return 0


def _compare(roles: list[str], index_dir: Path | None, as_json: bool) -> int:
    from dataclasses import asdict

    from chatbot.comparison import cards_table
    from chatbot.service import load_settings, open_index
    from chatbot.snapshot import snapshot

    index = open_index(load_settings(index_dir=index_dir))
    cards = [snapshot(index, role) for role in roles]
    text, sources = cards_table(cards)
    if as_json:
        print(json.dumps({"cards": [c.to_dict() for c in cards], "table": text,
                          "sources": [asdict(s) for s in sources]}, ensure_ascii=False))
        return 0
    print(text)
    print("\nSources:")
    for s in sources:
        print(f"  [{s.n}] {s.guide} > {s.section} ({s.source})")
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    """The guides as aligned columns, one line each."""
    heads = ["source", "role", "title", "aliases", "sections", "chunks", "dropped", "last_reviewed"]
    cells = [[", ".join(r[h]) if h == "aliases" else str(r[h] if r[h] is not None else "") for h in heads]
             for r in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(heads)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                     for line in [heads, *cells])


if __name__ == "__main__":
    sys.exit(main())

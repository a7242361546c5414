"""python -m chatbot ask "QUESTION" [--index DIR] [--json]."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Answer one question on the command line."""
    parser = argparse.ArgumentParser(prog="python -m chatbot", description="Ask the career guide chatbot.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer one question from the guides")
    ask.add_argument("question")
    ask.add_argument("--index", type=Path, help="index folder (default: .index/)")
    ask.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)

    from chatbot.errors import CareerBotError
    from chatbot.service import answer_function, load_settings

    try:
        answer = answer_function(load_settings(index_dir=args.index))(args.question, [])
    except CareerBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.text)
    if answer.sources:
        print("\nSources:")
        for s in answer.sources:
            page = f", page {s.page}" if s.page else ""
            print(f"  [{s.n}] {s.guide} > {s.section} ({s.source}{page})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m chatbot.eval FILE.jsonl [--index DIR] [--json]: score the bot on a question set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 0 when it ran, 1 on errors, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="python -m chatbot.eval", description="Score the bot on a question set.")
    parser.add_argument("file", type=Path, help="question set in JSONL (see eval/FORMAT.md)")
    parser.add_argument("--index", type=Path, help="index folder (default: .index/)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    from chatbot.errors import CareerBotError
    from chatbot.evaluation import evaluate, load_cases, table
    from chatbot.service import answer_function, load_settings

    try:
        cases = load_cases(args.file)
        result = evaluate(cases, answer_function(load_settings(index_dir=args.index)))
    except FileNotFoundError:
        print(f"error: no such question set: {args.file}", file=sys.stderr)
        return 2
    except CareerBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ingest the career guides into the index: python ingest.py [--knowledge DIR] [--index DIR] ..."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run an ingest; exit 0 on success, 1 when a guide failed, 2 on bad usage."""
    parser = argparse.ArgumentParser(description="Ingest career guides into the answer index.")
    parser.add_argument("--knowledge", type=Path, help="folder of guides (default: knowledge/)")
    parser.add_argument("--index", type=Path, help="index folder (default: .index/)")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--rebuild", action="store_true", help="re-embed everything into a fresh collection")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)

    from chatbot.errors import CareerBotError
    from chatbot.service import ingest_from_settings, load_settings

    try:
        settings = load_settings(knowledge_dir=args.knowledge, index_dir=args.index)
        if not settings.knowledge_dir.is_dir():
            print(f"error: the knowledge folder {settings.knowledge_dir} does not exist", file=sys.stderr)
            return 2
        report = ingest_from_settings(settings, dry_run=args.dry_run, rebuild=args.rebuild, show_progress=not args.json)
    except CareerBotError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.summary())
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())

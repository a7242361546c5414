"""Serve the career chatbot: python app.py (binds 127.0.0.1:7860 unless CAREERBOT_HOST/PORT say otherwise)."""

from __future__ import annotations

import os
import sys
import tempfile

# Set before Gradio or Hugging Face code is imported: no analytics, no hub, and an upload folder of our own.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="careerbot-"))


def main() -> int:
    """Ingest what changed in the guides, then serve the chat."""
    from contextlib import ExitStack

    from chatbot.errors import CareerBotError, IndexBusyError
    from chatbot.service import build_from_settings, ingest_from_settings, load_settings, open_store
    from chatbot.ui import build_demo, launch
    from chatbot.uploads import clean_partial_uploads

    lock = ExitStack()
    try:
        settings = load_settings()
        if not settings.chroma_url:
            lock.enter_context(open_store(settings).app_lock())
            # Only the app writes uploads, and no other app serves this index: what is half-written is a crash's.
            if removed := clean_partial_uploads(settings.knowledge_dir):
                print(f"note: removed {removed} half-written upload(s) left by a crash", file=sys.stderr)
        try:
            print(ingest_from_settings(settings, show_progress=True).summary(), file=sys.stderr)
        except IndexBusyError as exc:
            print(f"note: {exc}; serving the current index", file=sys.stderr)
        index, chain = build_from_settings(settings)
        index.warm_up()
        demo = build_demo(chain, index, settings)
    except CareerBotError as exc:
        lock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr)
    with lock:
        launch(demo, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

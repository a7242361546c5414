"""Serve the career chatbot: python app.py (binds 127.0.0.1:7860 unless CAREERBOT_HOST/PORT say otherwise)."""

from __future__ import annotations

import gc
import os
import signal
import sys

# Set before Gradio or Hugging Face code is imported: no analytics, no hub.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # Gradio closes its server on it, and every `with` below cleans up


def main() -> int:
    """Ingest what changed in the guides, then serve the chat."""
    from contextlib import ExitStack

    from chatbot.web import temp_folder

    signal.signal(signal.SIGTERM, _stop)
    with ExitStack() as temp:
        if not os.environ.get("GRADIO_TEMP_DIR"):  # an upload folder of our own, removed when the app stops
            os.environ["GRADIO_TEMP_DIR"] = str(temp.enter_context(temp_folder()))
        return serve()


def serve() -> int:
    """Ingest what changed in the guides, then serve the chat until stopped."""
    from contextlib import ExitStack

    from chatbot.errors import CareerBotError, IndexBusyError
    from chatbot.service import build_from_settings, ingest_from_settings, load_settings, open_store
    from chatbot.ui import build_demo, launch
    from chatbot.uploads import clean_partial_uploads

    lock = ExitStack()
    # The start makes objects that live as long as the app (modules, Gradio's components, the job-title lexicon,
    # the snapshot): collecting cycles among them while they are made is wasted work, a fifth of the start's CPU
    # (3.9 -> 3.0 s). The ingest runs with the collector on: a large one must stay bounded in memory.
    gc.disable()
    try:
        settings = load_settings()
        if not settings.chroma_url:
            lock.enter_context(open_store(settings).app_lock())
            # Only the app writes uploads, and no other app serves this index: what is half-written is a crash's.
            if removed := clean_partial_uploads(settings.knowledge_dir):
                print(f"note: removed {removed} half-written upload(s) left by a crash", file=sys.stderr)
        gc.enable()
        try:
            print(ingest_from_settings(settings, show_progress=True).summary(), file=sys.stderr)
        except IndexBusyError as exc:
            print(f"note: {exc}; serving the current index", file=sys.stderr)
        gc.disable()
        index, chain = build_from_settings(settings)
        index.warm_up()
        demo = build_demo(chain, index, settings)
    except CareerBotError as exc:
        lock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        gc.enable()
    gc.freeze()  # what the start made is never garbage: later collections skip it (shorter pauses while serving)
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr)
    with lock:
        launch(demo, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())

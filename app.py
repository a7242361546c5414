"""Serve the career chatbot: python app.py (binds 127.0.0.1:7860 unless configured otherwise)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def main() -> int:
    """Ingest if needed, then serve the placeholder page until the chat UI lands."""
    import gradio as gr

    from chatbot.errors import CareerBotError
    from chatbot.service import ingest_from_settings, load_settings

    settings = load_settings()
    try:
        report = ingest_from_settings(settings, show_progress=True)
        print(report.summary(), file=sys.stderr)
    except CareerBotError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    with gr.Blocks(title="Career guide chatbot") as demo:
        gr.Markdown(f"# Career guide chatbot\nIndex ready: {report.chunks} chunks from {report.guides} guide(s).")
    demo.launch(server_name=settings.host, server_port=settings.port, share=False, ssr_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

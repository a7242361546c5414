"""The Gradio chat page and guide admin. Handlers are plain Python, testable without a server."""


import contextlib
import hmac
import html
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable

from chatbot.answer import Answer, AnswerChunk
from chatbot.catalog import clean_role, write_role
from chatbot.comparison import cards_table
from chatbot.config import Settings
from chatbot.errors import CareerBotError
from chatbot.feedback import FeedbackStore, nearest_section
from chatbot.formats import UPLOAD_HINT, UPLOAD_SUFFIXES
from chatbot.gaps import gaps, gaps_csv
from chatbot.indexing import Report, ingest
from chatbot.render import to_safe_html
from chatbot.retrieval import Index
from chatbot.snapshot import snapshot, stale_guides, stated_as_of
from chatbot.throttle import PasswordThrottle, Verdict
from chatbot.uploads import delete_guide, save_upload
from chatbot.views import Point, card_markdown, gaps_markdown, pay_points, stale_markdown, timeline_points

Message = dict[str, Any]
State = dict[str, Any]
# The admin guides table: the same columns as `python -m chatbot guides`.
GUIDE_COLUMNS = ("source", "title", "role", "aliases", "sections", "chunks", "dropped", "last_reviewed")
RATINGS_PER_MINUTE = 20  # per browser session: plenty for a person, a wall for a script
# The address an admin action came from, set by the UI around each call (the handlers stay plain functions).
admin_client: ContextVar[str] = ContextVar("admin_client", default="")

def new_state() -> State:
    """Per-browser state: the plain-text turns, the chat as shown (Markdown), and what each answer was built from."""
    return {"turns": [], "shown": [], "answers": {}, "last_feedback": 0}  # rate() adds "ratings" and "rated_at"


MAX_KEPT_MESSAGES = 60  # a chat kept in the browser: the newest messages, enough to read back and follow up


def kept_chat(state: State) -> dict[str, Any]:
    """What the browser keeps of a chat (so a reload shows it again): Markdown, never rendered HTML."""
    shown = list(state.get("shown", []))
    drop = max(0, len(shown) - MAX_KEPT_MESSAGES)
    answers = {str(int(k) - drop): v for k, v in state.get("answers", {}).items() if int(k) >= drop}
    return {"v": 1, "turns": list(state.get("turns", []))[-12:], "shown": shown[drop:], "answers": answers}


def restore_chat(kept: Any) -> tuple[list[Message], State]:
    """The chat a browser kept, rendered again; anything malformed (it comes from the browser) starts a new chat."""
    state = new_state()
    try:
        if not isinstance(kept, dict) or kept.get("v") != 1:
            return [], state
        shown = [m for m in kept["shown"][-MAX_KEPT_MESSAGES:] if isinstance(m, dict)
                 and m.get("role") in ("user", "assistant") and isinstance(m.get("markdown"), str)]
        turns = [{"role": str(t["role"]), "content": str(t["content"])[:20000]} for t in kept["turns"][-12:]
                 if isinstance(t, dict) and t.get("role") in ("user", "assistant")]
        answers = {int(k): {"question": str(v["question"])[:5000], "answer": str(v["answer"])[:20000],
                            "chunk_ids": [str(c) for c in v["chunk_ids"]][:50],
                            "section": str(v.get("section", ""))[:500]}
                   for k, v in kept["answers"].items() if 0 <= int(k) < len(shown)}
    except (KeyError, TypeError, ValueError, AttributeError):
        return [], state
    state.update(turns=turns, shown=[{"role": m["role"], "markdown": m["markdown"][:20000],
                                      "title": str(m.get("title") or "")[:200]} for m in shown], answers=answers)
    return [_message(m) for m in state["shown"]], state


def _message(entry: dict[str, str]) -> Message:
    message: Message = {"role": entry["role"], "content": to_safe_html(entry["markdown"])}
    if entry.get("title"):
        message["metadata"] = {"title": entry["title"], "status": "done"}
    return message


def _bar(ms: float, scale: float = 5.0) -> str:
    return "▇" * max(1, min(30, round(ms / scale)))


def sources_markdown(answer: Answer, reviewed: Callable[[str], str] = lambda source: "") -> str:
    """The collapsible panel under an answer: cited guide, section, quoted snippet and, for figures, when they are
    from (the period or source their sentence names, else the guide's last review); then timings."""
    lines = []
    for s in answer.sources:
        page = f", page {s.page}" if s.page else ""
        dated = ""
        if re.search(r"\d", s.snippet):
            when = stated_as_of(s.snippet) or (f"guide reviewed {r}" if (r := reviewed(s.source)) else "undated")
            dated = f" · figures as of: {when}"
        lines.append(f"**[{s.n}] {s.guide}** › {s.section} (`{s.source}`{page}{dated})\n\n> {s.snippet}\n")
    retrieve, compose = answer.timings.get("retrieve_ms", 0.0), answer.timings.get("compose_ms", 0.0)
    timing = f"`retrieve {_bar(retrieve)} {retrieve:.0f} ms` `compose {_bar(compose)} {compose:.0f} ms`"
    if "generate_ms" in answer.timings:
        generate = answer.timings["generate_ms"]
        timing += f" `generate {_bar(generate, 50)} {generate:.0f} ms`"
    lines.append(timing)
    if answer.fallback:
        lines.append(f"\n*{answer.fallback} The answer above is taken from the guides.*")
    elif answer.answerer != "extractive":
        lines.append(f"\n*Written by {answer.answerer} from the sources above; every number was checked.*")
    return "\n".join(lines)


class ChatHandler:
    """Streams answers into the chat history; one instance serves every session."""

    def __init__(self, chain: Runnable[dict[str, Any], AnswerChunk], feedback: FeedbackStore, max_chars: int,
                 clock: Callable[[], float] = time.monotonic,
                 reviewed: Callable[[str], str] = lambda source: "") -> None:
        self.chain = chain
        self.reviewed = reviewed  # a guide's last_reviewed, by its source
        self.feedback = feedback
        self.max_chars = max_chars
        self.clock = clock

    def respond(self, message: str, history: list[Message], state: State) -> Iterator[tuple[list[Message], State, str]]:
        """Yield (history, state, textbox value) as the answer streams in."""
        message = message if isinstance(message, str) else ""
        # A lone surrogate (legal in JSON, not in UTF-8) would break the renderer, the model and SQLite.
        message = message.encode("utf-8", "replace").decode("utf-8")
        history = list(history or [])
        if not message.strip():
            yield history, state, ""
            return
        question = message if len(message) <= 2000 else message[:2000] + " …"
        history.append({"role": "user", "content": to_safe_html(question)})
        if len(message) > self.max_chars:
            too_long = f"That question is {len(message):,} characters long; please keep it under {self.max_chars:,}."
            yield self._shown(history, state, question, too_long), state, ""
            return
        history.append({"role": "assistant", "content": ""})
        text = ""
        answer: Answer | None = None
        try:
            for piece in self.chain.stream({"question": message, "history": state["turns"][-6:]}):
                text = piece.delta if piece.replace else text + piece.delta
                answer = piece.answer or answer
                history[-1] = {"role": "assistant", "content": to_safe_html(text)}
                yield list(history), state, ""
        except CareerBotError as exc:
            yield self._shown(history[:-1], state, question, f"Sorry, I can't answer right now: {exc}"), state, ""
            return
        except Exception:  # never show a traceback to a user; the server log has it
            import logging

            logging.getLogger(__name__).exception("answering failed")
            sorry = "Sorry, something went wrong while answering. Please try again."
            yield self._shown(history[:-1], state, question, sorry), state, ""
            return
        if answer is None:
            return
        if answer.refused:  # what the guides do not answer, for the gap report (no address, no user id)
            self.feedback.add_refused(answer)
        state["turns"] = [*state["turns"], {"role": "user", "content": message[:2000]},
                          {"role": "assistant", "content": answer.text}]
        state["answers"][len(history) - 1] = {
            "question": message[:5000], "answer": answer.text, "chunk_ids": [s.chunk_id for s in answer.sources],
            "section": nearest_section(answer),  # where the guides came nearest, for the gap report
        }
        sources = ""
        if answer.sources:
            sources = f"Sources ({len(answer.sources)}) · {answer.timings.get('total_ms', 0):.0f} ms"
        yield self._shown(history[:-1], state, question, answer.text,
                          (sources, sources_markdown(answer, self.reviewed)) if sources else None), state, ""

    @staticmethod
    def _shown(before: list[Message], state: State, question: str, reply: str,
               panel: tuple[str, str] | None = None) -> list[Message]:
        """The chat with this question and its reply (and Sources panel) appended, remembered as Markdown too."""
        entries = [{"role": "user", "markdown": question, "title": ""},
                   {"role": "assistant", "markdown": reply, "title": ""}]
        if panel:
            entries.append({"role": "assistant", "markdown": panel[1], "title": panel[0]})
        # The messages before the question, as they were shown: kept in the browser by kept_chat.
        state["shown"] = [*state.get("shown", [])[: max(0, len(before) - 1)], *entries]
        return [*before[:-1], *(_message(e) for e in entries)]

    def rate(self, index: int, liked: bool, state: State) -> str:
        """Store a thumbs up/down for the answer at a chat position (or the answer its sources belong to)."""
        position = index if index in state["answers"] else index - 1
        record = state["answers"].get(position)
        if record is None:
            return "Only answers can be rated."
        now = self.clock()
        recent = [t for t in state.setdefault("rated_at", []) if now - t < 60]
        if len(recent) >= RATINGS_PER_MINUTE:
            return "That is a lot of ratings at once; please wait a minute."
        state["rated_at"] = [*recent, now]
        ratings = state.setdefault("ratings", {})
        if position in ratings:  # one rating per answer per browser: a new one replaces the old
            self.feedback.set_rating(ratings[position], liked)
        else:
            stored = self.feedback.add(record["question"], record["answer"], record["chunk_ids"], liked,
                                       section=str(record.get("section", "")))
            if not stored:
                return "Feedback cannot be stored right now, sorry."
            ratings[position] = stored
        state["last_feedback"] = ratings[position]
        return "Thanks for the feedback. You can add a reason below."

    def reason(self, text: str, state: State) -> str:
        """Attach a reason to the last rating."""
        if not state.get("last_feedback"):
            return "Rate an answer first (thumbs up or down)."
        self.feedback.set_reason(state["last_feedback"], text.strip())
        return "Reason saved. Thank you."


class CareersHandler:
    """The career views: a role's snapshot card, and roles side by side."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def roles(self) -> list[str]:
        """The roles there are guides for."""
        try:
            return list(self.index.snapshot().roles.names)
        except CareerBotError:
            return []

    def role_of(self, turns: list[dict[str, str]]) -> str:
        """The role the chat is about: the newest turn that names one ('' when none does)."""
        try:
            roles = self.index.snapshot().roles
        except CareerBotError:
            return ""
        return next((r for t in reversed(turns) if (r := roles.mentioned(str(t.get("content", ""))))), "")

    def compare(self, roles: list[str]) -> str:
        """Two to four roles' facts side by side, each cell cited, with the sources under the table."""
        if not 2 <= len(roles or []) <= 4:
            return "Pick two to four roles to compare."
        grid, sources = cards_table([snapshot(self.index, role) for role in roles])
        cited = "\n".join(f"{s.n}. *{s.guide or s.source} › {s.section}*" for s in sources)
        return f"{grid}\n\n{cited}" if cited else grid

    def card(self, role: str) -> tuple[str, list[Point], list[Point]]:
        """The card's Markdown, its pay bars and its path bars."""
        if not role:
            return "Pick a role to see what its guide says.", [], []
        found = snapshot(self.index, role)
        return card_markdown(found), pay_points(found), timeline_points(found)


class AdminHandler:
    """Guide admin: list, upload, delete, preview and re-ingest; every change needs the admin password."""

    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings = settings
        self.index = index
        self.throttle = PasswordThrottle(settings.admin_retry_seconds, settings.admin_retry_max_seconds)

    @property
    def enabled(self) -> bool:
        """False when no admin password is configured: the admin view is then read-only."""
        return bool(self.settings.admin_password)

    def check(self, password: str, client: str | None = None) -> None:
        """Raise unless the password matches the configured one; wrong guesses make the client wait."""
        if not self.enabled:
            raise CareerBotError("Admin actions are disabled: set CAREERBOT_ADMIN_PASSWORD and restart the app.")
        given = (password or "").encode()
        matches = hmac.compare_digest(given, self.settings.admin_password.encode())
        decision = self.throttle.judge(admin_client.get() if client is None else client, matches)
        if decision.verdict is Verdict.TOO_SOON:
            raise CareerBotError(f"Too many wrong admin passwords: try again in {max(decision.retry_in, 0.1):.1f} s.")
        if decision.verdict is Verdict.WRONG:
            raise CareerBotError("Wrong admin password.")

    def gap_report(self, password: str) -> tuple[str, str]:
        """What users asked that the guides do not answer (Markdown, CSV); questions are private: password first."""
        self.check(password)
        found = gaps(FeedbackStore(self.settings.index_dir / "feedback.sqlite3"), self.index.embedder,
                     self.index.snapshot().roles)
        return gaps_markdown(found), gaps_csv(found)

    def to_review(self) -> str:
        """Guides not reviewed for over 12 months, or whose figures name no source."""
        with self.index.store.reachable():
            state = self.index.store.record.state()
        return stale_markdown(stale_guides(state, date.today()))

    def guides(self) -> list[list[Any]]:
        """Rows for the guides table: the columns of `python -m chatbot guides` (GUIDE_COLUMNS)."""
        state = self.index.store.record.state()
        rows = [g.listing() for g in state.guides.values()]
        return [[", ".join(r[c]) if c == "aliases" else r[c] for c in GUIDE_COLUMNS] for r in rows]

    def sources(self) -> list[str]:
        """Guide files that can be replaced or deleted."""
        from chatbot.documents import find_guides, source_of

        folder = self.settings.knowledge_dir
        return [source_of(p, folder) for p in find_guides(folder)]

    def upload(self, password: str, path: str | None, original_name: str, replace: str = "") -> str:
        """Store an uploaded guide; the index changes only on re-ingest."""
        self.check(password)
        if not path:
            raise CareerBotError("Choose a file to upload first.")
        data = Path(path).read_bytes()
        saved = save_upload(self.settings.knowledge_dir, original_name or Path(path).name, data,
                            self.settings.max_guide_bytes, replace)
        return f"Saved as {html.escape(saved)}. Preview, then re-ingest to make it live."

    def set_role(self, password: str, source: str, role: str) -> str:
        """Correct a Markdown guide's role in its front matter, then re-ingest so answers use it."""
        self.check(password)
        if source not in self.sources():
            raise CareerBotError("Choose a guide first.")
        name = clean_role(role)
        write_role(self.settings.knowledge_dir / source, name)
        report = self.run_ingest(password, False)
        return f"Role of {html.escape(source)} set to {html.escape(name)} in its front matter.  \n{report}"

    def delete(self, password: str, source: str) -> str:
        """Delete a guide file; the index changes only on re-ingest."""
        self.check(password)
        delete_guide(self.settings.knowledge_dir, source)
        return f"Deleted {html.escape(source)}. Preview, then re-ingest to remove it from answers."

    def run_ingest(self, password: str, dry_run: bool, progress: Callable[[int, int, str], None] | None = None) -> str:
        """Preview (dry run) or apply an ingest; returns the report as Markdown."""
        self.check(password)
        report: Report = ingest(self.settings.knowledge_dir, self.index.store, self.index.embedder,
                                max_bytes=self.settings.max_guide_bytes, dry_run=dry_run, progress=progress)
        if not dry_run:
            with contextlib.suppress(CareerBotError):  # an empty index stays empty: nothing to load
                self.index.refresh()  # the new version's tables are built here, not in the next user's question
        title = "Preview (nothing written)" if dry_run else "Re-ingest finished"
        body = html.escape(report.summary()).replace("\n", "  \n")
        return f"**{title}**  \n{body}"


def _starters(index: Index, limit: int = 4) -> list[str]:
    """Starter questions: the guides' question-style section headings."""
    try:
        return index.snapshot().starters(limit)
    except CareerBotError:
        return []


def build_demo(chain: Runnable[dict[str, Any], AnswerChunk], index: Index, settings: Settings) -> Any:
    """The Gradio Blocks app: a chat tab and a guide admin tab."""
    import gradio as gr
    import pandas as pd

    def reviewed(source: str) -> str:
        guide = index.snapshot().guides.get(source)
        return guide.last_reviewed if guide else ""

    chat = ChatHandler(chain, FeedbackStore(settings.index_dir / "feedback.sqlite3"), settings.max_question_chars,
                       reviewed=reviewed)
    admin = AdminHandler(settings, index)
    careers = CareersHandler(index)

    def guides_view() -> tuple[Any, Any, Any, Any, Any]:
        rows = admin.guides()
        frame = pd.DataFrame({"guide": [r[0] for r in rows], "chunks": [r[5] for r in rows]})
        choices = admin.sources()
        return rows, frame, gr.update(choices=["", *choices]), gr.update(choices=choices), gr.update(choices=choices)

    def guarded(action: Callable[..., str]) -> Callable[..., str]:
        def run(request: gr.Request, *args: Any) -> str:
            token = admin_client.set(request.client.host if request and request.client else "")
            try:
                return action(*args)
            except CareerBotError as exc:
                return f"⚠️ {html.escape(str(exc))}"
            finally:
                admin_client.reset(token)
        return run

    with gr.Blocks(title="Career guide chatbot", analytics_enabled=False) as demo:
        gr.Markdown("## Career guide chatbot\nAsk about a career: what the role does, how to get there, how long "
                    "it takes, pros and cons, pay and outlook. Answers come only from the guides, with sources.")
        with gr.Tab("Chat"):
            state = gr.State(new_state())
            chatbot = gr.Chatbot(
                elem_id="chat", height=520, sanitize_html=True, render_markdown=True,
                examples=[{"text": q} for q in _starters(index)], feedback_options=("Like", "Dislike"),
                placeholder="Ask a question about a career, or pick one of the examples.",
                buttons=["copy", "copy_all"],  # no "share": it would post the chat to Hugging Face
            )
            with gr.Row():
                box = gr.Textbox(elem_id="question", show_label=False, scale=8, autofocus=True,
                                 placeholder="e.g. How long does it take to become a machine learning engineer?")
                send = gr.Button("Ask", elem_id="send", variant="primary", scale=1)
                clear = gr.Button("New chat", elem_id="new-chat", scale=1)
            with gr.Row():
                reason = gr.Textbox(elem_id="feedback-reason", show_label=False, scale=8,
                                    placeholder="Optional: why was this answer good or bad?")
                send_reason = gr.Button("Send reason", elem_id="send-reason", scale=1)
            note = gr.Markdown(elem_id="feedback-note")
            # The chat survives a reload in this browser only (encrypted with a key of this app process); it is
            # said on the page, and New chat clears it.
            kept = gr.BrowserState(None, storage_key="careerbot-chat")
            gr.Markdown("This chat is kept in this browser so that a reload keeps it; **New chat** clears it. "
                        "Questions the guides cannot answer, and answers rated down, are kept on this server (no "
                        "address, no name) to improve the guides.", elem_id="chat-kept-note")

            gr.on([box.submit, send.click], chat.respond, [box, chatbot, state], [chatbot, state, box],
                  api_name="chat").then(kept_chat, [state], [kept], api_visibility="private")

            def pick(history: list[Message], st: State, event: gr.SelectData) -> Iterator[Any]:
                yield from chat.respond(str((event.value or {}).get("text", "")), history, st)

            chatbot.example_select(pick, [chatbot, state], [chatbot, state, box], api_visibility="private").then(
                kept_chat, [state], [kept], api_visibility="private")
            clear.click(lambda: ([], new_state(), "", "", kept_chat(new_state())), None,
                        [chatbot, state, box, note, kept], api_visibility="private")
            demo.load(restore_chat, [kept], [chatbot, state], api_visibility="private")

            def like(st: State, event: gr.LikeData) -> str:
                return chat.rate(int(event.index if isinstance(event.index, int) else event.index[0]),
                                 bool(event.liked), st)

            chatbot.like(like, [state], [note], api_visibility="private")
            send_reason.click(chat.reason, [reason, state], [note], api_visibility="private")

        with gr.Tab("Careers") as careers_tab:
            gr.Markdown("A role at a glance: only what its own guide states, each figure with the sentence it is "
                        "copied from and when it is from; *not in the guide* where it states nothing.")
            with gr.Row():
                card_role = gr.Dropdown(label="Role", choices=[], elem_id="card-role", scale=4)
                card_btn = gr.Button("Show the snapshot", elem_id="card-btn", variant="primary", scale=1)
            card_text = gr.Markdown(elem_id="career-card")
            with gr.Row():
                pay_chart = gr.BarPlot(x="label", y="value", label="Pay the guide states (a year)", height=220,
                                       elem_id="pay-chart", y_lim=[0, None])
                path_chart = gr.BarPlot(x="label", y="value", label="Time the guide gives each step (years)",
                                        height=220, elem_id="path-chart", y_lim=[0, None])

            def show_card(role: str) -> tuple[str, Any, Any]:
                try:
                    text, pay, path = careers.card(role or "")
                except CareerBotError as exc:
                    return f"⚠️ {html.escape(str(exc))}", _frame(pd, []), _frame(pd, [])
                return text, _frame(pd, pay), _frame(pd, path)

            card_btn.click(show_card, [card_role], [card_text, pay_chart, path_chart], api_visibility="private")

            def chat_role(st: State, current: str) -> Any:  # opening the tab shows the role the chat is about
                role = careers.role_of(st.get("turns", []))
                return (gr.update(value=role), *show_card(role)) if role and role != current else (
                    gr.update(), gr.update(), gr.update(), gr.update())

            careers_tab.select(chat_role, [state, card_role], [card_role, card_text, pay_chart, path_chart],
                               api_visibility="private")
            with gr.Row():
                compare_roles = gr.Dropdown(label="Compare roles (two to four)", choices=[], multiselect=True,
                                            max_choices=4, elem_id="compare-roles", scale=4)
                compare_btn = gr.Button("Compare", elem_id="compare-btn", scale=1)
            compare_text = gr.Markdown(elem_id="role-comparison")

            def show_comparison(roles: list[str]) -> str:
                try:
                    return careers.compare(list(roles or []))
                except CareerBotError as exc:
                    return f"⚠️ {html.escape(str(exc))}"

            compare_btn.click(show_comparison, [compare_roles], [compare_text], api_visibility="private")
            demo.load(lambda: (gr.update(choices=careers.roles()), gr.update(choices=careers.roles())), None,
                      [card_role, compare_roles], api_visibility="private")

        with gr.Tab("Guides (admin)"):
            if not admin.enabled:
                gr.Markdown("Read-only: set `CAREERBOT_ADMIN_PASSWORD` to upload, delete and re-ingest guides.",
                            elem_id="admin-readonly")
            table = gr.Dataframe(headers=list(GUIDE_COLUMNS),
                                 elem_id="guides-table", interactive=False, label="Guides in the index")
            chart = gr.BarPlot(x="guide", y="chunks", elem_id="chunks-chart", label="Chunks per guide", height=220,
                               y_lim=[0, None])
            refresh = gr.Button("Refresh", elem_id="refresh-guides")
            password = gr.Textbox(label="Admin password", type="password", elem_id="admin-password")
            with gr.Row():
                upload_file = gr.File(label=f"Upload a guide ({UPLOAD_HINT})", elem_id="upload-file",
                                      file_types=list(UPLOAD_SUFFIXES), type="filepath")
                replace = gr.Dropdown(label="Replace an existing guide (empty: add a new one)", choices=[""],
                                      value="", elem_id="replace-guide")
            upload_btn = gr.Button("Upload", elem_id="upload-btn")
            with gr.Row():
                remove = gr.Dropdown(label="Guide to delete", choices=[], elem_id="delete-guide")
                delete_btn = gr.Button("Delete", elem_id="delete-btn", variant="stop")
            with gr.Row():  # Markdown guides only: the role is written into the front matter
                role_guide = gr.Dropdown(label="Guide whose role to correct (Markdown)", choices=[],
                                         elem_id="role-guide")
                role_name = gr.Textbox(label="Role", placeholder="e.g. Data Scientist", elem_id="role-name")
                role_btn = gr.Button("Set role and re-ingest", elem_id="role-btn")
            with gr.Row():
                preview_btn = gr.Button("Preview changes (dry run)", elem_id="preview-btn")
                ingest_btn = gr.Button("Re-ingest", elem_id="ingest-btn", variant="primary")
            status = gr.Markdown(elem_id="admin-status")
            gr.Markdown("#### Guides to review")
            review = gr.Markdown(elem_id="guides-to-review")
            gr.Markdown("#### What users asked that the guides don't answer")
            gaps_btn = gr.Button("Show the gap report (admin password)", elem_id="gaps-btn")
            gaps_text = gr.Markdown(elem_id="gap-report")
            gaps_file = gr.File(label="Gap report (CSV)", elem_id="gap-csv", interactive=False)

            def show_gaps(request: gr.Request, pw: str) -> tuple[str, str | None]:
                token = admin_client.set(request.client.host if request and request.client else "")
                try:
                    text, rows = admin.gap_report(pw)
                except CareerBotError as exc:
                    return f"⚠️ {html.escape(str(exc))}", None
                finally:
                    admin_client.reset(token)
                return text, _csv_file(rows)

            gaps_btn.click(show_gaps, [password], [gaps_text, gaps_file], api_visibility="private")
            demo.load(admin.to_review, None, [review], api_visibility="private")

            outputs = [table, chart, replace, remove, role_guide]
            demo.load(guides_view, None, outputs, api_visibility="private")
            refresh.click(guides_view, None, outputs, api_visibility="private")

            def do_upload(pw: str, path: str | None, rep: str) -> str:
                return admin.upload(pw, path, Path(path).name if path else "", rep or "")

            upload_btn.click(guarded(do_upload), [password, upload_file, replace], [status],
                             api_visibility="private").then(guides_view, None, outputs, api_visibility="private")
            delete_btn.click(guarded(admin.delete), [password, remove], [status],
                             api_visibility="private").then(guides_view, None, outputs, api_visibility="private")
            role_btn.click(guarded(admin.set_role), [password, role_guide, role_name], [status],
                           api_visibility="private", concurrency_limit=1).then(guides_view, None, outputs,
                                                                                api_visibility="private")
            preview_btn.click(guarded(lambda pw: admin.run_ingest(pw, True)), [password], [status],
                              api_visibility="private")

            def do_ingest(pw: str, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 (Gradio's idiom)
                return admin.run_ingest(pw, False, lambda done, total, what: progress(done / max(total, 1),
                                                                                     desc=f"embedding {what}"))

            ingest_btn.click(guarded(do_ingest), [password], [status], api_visibility="private",
                             concurrency_limit=1).then(guides_view, None, outputs, api_visibility="private")
    return demo


def _frame(pd: Any, points: list[Point]) -> Any:
    """Chart points as the data frame a Gradio plot draws."""
    return pd.DataFrame({"label": [p.label for p in points], "value": [p.value for p in points]})


def _csv_file(rows: str) -> str:
    """The gap report as a CSV file in the app's temp folder, for the download link."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix="gap-report-", delete=False, encoding="utf-8") as f:
        f.write(rows)
    return f.name


def launch(demo: Any, settings: Settings) -> None:
    """Serve on the configured address with safe defaults: no share link, bounded queue, files locked down."""
    from gradio.utils import get_upload_folder
    from starlette.middleware import Middleware

    from chatbot.config import ENV_FILE
    from chatbot.web import Edge, EdgeRules, allowed_hosts

    rules = EdgeRules(
        allowed_hosts=allowed_hosts(settings.host, settings.allowed_hosts),
        proxy_hosts=frozenset(h.strip().lower() for h in settings.allowed_hosts),
        public_names=frozenset(str(f.api_name) for f in demo.fns.values() if f.api_visibility == "public"),
        known_events=frozenset(demo.fns), upload_dir=Path(get_upload_folder()),
        max_upload_bytes=settings.max_guide_bytes + 65536,  # one guide and its multipart envelope
        upload_quota_bytes=int(settings.upload_quota_mb * 1024 * 1024),
    )
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=False,
        ssr_mode=False,
        show_error=False,
        max_file_size=settings.max_guide_bytes,
        state_session_capacity=settings.max_sessions,
        blocked_paths=[str(settings.knowledge_dir), str(settings.index_dir), str(ENV_FILE), str(Path.cwd() / ".env")],
        allowed_paths=[],
        strict_cors=True,
        enable_monitoring=False,
        footer_links=[],
        run_history=False,  # Gradio 6 would keep every question and answer in the browser's storage
        app_kwargs={"middleware": [Middleware(Edge, rules=rules)]},
        quiet=True,
    )

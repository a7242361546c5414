"""Render BENCHMARKS.md from the scripts' JSON results (see run.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent

TARGETS = {
    "ingest_ratio": 0.9,
    "reingest_share": 0.05,
    "p50_seed_ms": 25.0,
    "p50_100k_ms": 60.0,
}


def table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("holds" if ok else "**fails**")


def provenance(entry: dict[str, Any]) -> str:
    m = entry["machine"]
    note = (
        f"_Measured {entry['date']}, commit {m.get('commit', '?')}, `chatbot/` sha256 {m.get('chatbot_sha256', '?')}; "
        f"{entry['mode']} run `{' '.join(entry['args'])}`, {entry['seconds']} s, load average {m['loadavg'][0]}._"
    )
    if entry.get("last_error"):
        note += f" _The latest attempt failed ({entry['last_error']}); these are the previous results._"
    return note


def ingest_section(entry: dict[str, Any], targets: list[list[Any]]) -> str:
    r = entry["result"]
    ratio, share = r["ratio"]["median"], r["unchanged_share"]["median"]
    targets.append(["Ingest chunks/s ÷ raw encode chunks/s", ">= 0.9", f"{ratio:.2f}", verdict(ratio >= 0.9)])
    targets.append(["Re-ingest unchanged, share of full ingest", "<= 5 %", f"{share:.1%}",
                    verdict(share <= TARGETS["reingest_share"])])
    targets.append(["Re-ingest unchanged, texts embedded", "0", r["unchanged_embedded"],
                    verdict(r["unchanged_embedded"] == 0)])

    def m(key: str) -> float:
        return float(r[key]["median"])

    rows = [
        ["Full ingest (fresh index)", f"{m('ingest_s'):.1f} s", f"{m('ingest_chunks_per_s'):.1f} chunks/s",
         f"{r['embedded_chunks']} chunks + {r['sentences']} sentence vectors"],
        ["  of which the model pass (chunk and sentence vectors)", f"{m('chunk_embed_s'):.1f} s", "",
         f"{r['sentences_alone']} sentences embedded on their own"],
        ["  of which the rest (parse, chunk, Chroma, SQLite)", f"{m('other_s'):.1f} s", "", ""],
        ["Raw `encode`, one call, batch_size 32 (sentence-transformers' default)", "",
         f"{m('raw_chunks_per_s'):.1f} chunks/s", f"same {r['raw_texts']} chunk texts"],
        [f"Raw `encode`, batch_size {r['batch_size']}, {r['call_texts']} texts per call (as ingest calls it)", "",
         f"{m('raw_own_chunks_per_s'):.1f} chunks/s", ""],
        ["**Ratio** ingest ÷ raw at the default batch size (same run, median)", "", f"**{ratio:.2f}**",
         f"min {r['ratio']['min']:.2f}, max {r['ratio']['max']:.2f}"],
        [f"Ratio ingest ÷ raw at batch_size {r['batch_size']} (pure overhead)", "", f"{m('ratio_own_batch'):.2f}",
         f"min {r['ratio_own_batch']['min']:.2f}, max {r['ratio_own_batch']['max']:.2f}"],
        ["Re-ingest, nothing changed", f"{m('unchanged_s'):.2f} s", f"{share:.1%} of full",
         f"{r['unchanged_embedded']} embedded"],
        ["Re-ingest, one guide edited (one number)", f"{m('edited_s'):.2f} s", "",
         f"{r['edited_embedded']:.0f} chunk + {r['edited_sentences']:.0f} sentence vectors"],
    ]
    return "\n\n".join([
        "## 1. Ingest throughput (`bench/ingest.py`)",
        provenance(entry),
        f"Seed guide plus a generated corpus of {r['chunks']} chunks in all; {r['runs']} runs, medians. Raw encode "
        "runs in the same process right before or after each ingest (alternating), on the very chunk texts the "
        "ingest embedded.",
        table(["measure", "time", "throughput", "notes"], rows),
    ])


def best(size: dict[str, Any]) -> str:
    return f" (best run {size['p50_best_run_ms']:.1f} ms)" if "p50_best_run_ms" in size else ""


def answer_section(entry: dict[str, Any], targets: list[list[Any]]) -> str:
    sizes = entry["result"]["sizes"]
    for s in sizes:
        if s["label"] == "seed":
            targets.append(["Answer p50 at the seed guide", "<= 25 ms", f"{s['p50_ms']:.1f} ms{best(s)}",
                            verdict(s["p50_ms"] <= TARGETS["p50_seed_ms"])])
        if s["label"].startswith("100k"):
            targets.append(["Answer p50 at 100k chunks", "<= 60 ms", f"{s['p50_ms']:.1f} ms{best(s)}",
                            verdict(s["p50_ms"] <= TARGETS["p50_100k_ms"])])
    steps = ["model_ms", "embed_ms", "dense_ms", "bm25_ms", "retrieve_ms", "compose_ms", "other_ms"]
    latency = [[s["label"], s["guides"], s["chunks"], s["questions"], s["runs"], s["p50_ms"], s["p95_ms"],
                s.get("p50_best_run_ms", ""), s["cpu_p50_ms"], *[s["steps_p50_ms"][k] for k in steps]] for s in sizes]
    size_rows = [[s["label"], s["disk_mb"], s["disk_mb_per_1k_chunks"], s["chroma_mb_per_1k_chunks"],
                  round(s["disk_mb_per_1k_chunks"] - s["chroma_mb_per_1k_chunks"], 1),
                  s["open_s"], s["rss_mb_opened"], s["build"]["build_seconds"],
                  s["build"].get("model_texts", "all"), s["refused_share"], s["dev_hit_at_k"],
                  "" if s["gen_hit_at_k"] is None else s["gen_hit_at_k"]] for s in sizes]
    return "\n\n".join([
        "## 2. Answer latency by index size (`bench/answer.py`)",
        provenance(entry),
        "Full answers through `build_chain(Index)` (condense, retrieve, compose), query-embedding cache cleared "
        "before every question. Questions: the 20 of `eval/dev.jsonl`, plus generated questions about generated "
        "roles for the generated corpora. p50/p95 are per run, then the median over runs (`best run p50`: the "
        "quietest run, closest to an unshared machine); step columns are "
        "medians over all answers, from `Answer.timings`. `model` is the query embedding alone (the model call); "
        "`embed` as reported by `Index.search` also includes the snapshot check and typo correction. `other` is "
        "the rest of the wall time (condense, chain overhead). `cpu` is process CPU time per answer.",
        table(["index", "guides", "chunks", "questions", "runs", "p50 ms", "p95 ms", "best run p50", "cpu p50 ms",
               "model", "embed", "dense", "bm25", "retrieve", "compose", "other"], latency),
        table(["index", "disk MB", "MB / 1k chunks", "of which Chroma", "of which record (SQLite)", "open s",
               "RSS +MB", "build s", "texts through model", "refused", "dev hit@k", "gen hit@k"], size_rows),
        "Where the time goes: one extra pass per index under cProfile, cumulative ms per answer (the profiler "
        "inflates Python-heavy code, so compare rows within a column; rows overlap, e.g. `Roles.mentioned` is "
        "called from `question.understand`).",
        profile_table(sizes),
        probe_line(entry["result"].get("query_embedding_threads")),
        APPROX_NOTE if any("approx" in s["label"] for s in sizes) else "",
        "Every index without `approx` in its name was built by the real ingest (real MiniLM, sentence vectors "
        "pooled in context), cached in `bench/.cache/` after the first `make bench`. `open s` is the first query's "
        "extra cost (snapshot, BM25 build, role tables, Chroma load); `RSS +MB` the memory the open index adds.",
    ])


APPROX_NOTE = (
    "`approx vectors`: built with `bench/approx.py` (real MiniLM vectors of role- and number-neutral template "
    "sentences, mixed with the real role-name vector; a chunk's vector is the mean of its sentences'). Same "
    "chunker, same store layout and counts, so sizes and timings are representative; retrieval quality and the "
    "refusal share are not. `texts through model` counts what that build sent to MiniLM (the template-vector cache "
    "in `bench/.cache/` is shared across sizes)."
)


def profile_table(sizes: list[dict[str, Any]]) -> str:
    labels = list(dict.fromkeys(k for s in sizes for k in s.get("profile_ms_per_answer", {})))
    rows = [[label, *[s.get("profile_ms_per_answer", {}).get(label, "") for s in sizes]] for label in labels]
    return table(["function (cumulative ms / answer)", *[f"{s['label']} ({s['guides']} roles)" for s in sizes]], rows)


def probe_line(probe: dict[str, Any] | None) -> str:
    if not probe or "as is" not in probe:
        return ""
    rows = [[load, *[f"{v[k]['p50_ms']:.1f} / {v[k]['p95_ms']:.1f}" for k in sorted(v, reverse=True)]]
            for load, v in probe.items()]
    threads = sorted(probe["as is"], reverse=True)
    return "\n\n".join([
        "Query embedding alone (`embedder.embed([question])`), torch's default intra-op threads vs one thread "
        "(what the app uses: `CAREERBOT_QUERY_THREADS=1`), alternating per question, on the machine as it was and "
        "with one busy-looping process per core (like a test run next door); p50 / p95 ms:",
        table(["machine", *[t.replace("threads_", "") + " thread(s)" for t in threads]], rows),
    ])


def peer_section(entry: dict[str, Any]) -> str:
    rows = []
    for s in entry["result"]["sets"]:
        p, o = s["peer"], s["ours"]
        build = f"{p['build_s']} s ({p['chunks_per_s']} chunks/s)" if "build_s" in p else "cached"
        rows.append([s["set"], "LangChain tutorial RAG", p["chunks"], p["hit_at_1"], p["hit_at_4"], p["p50_ms"],
                     p["p95_ms"], s["runs"], build])
        rows.append([s["set"], "ours (hybrid + rewrite)", o["chunks"], o["hit_at_1"], o["hit_at_k"], o["p50_ms"],
                     o["p95_ms"], s["runs"], "see section 1"])
    return "\n\n".join([
        "## 3. Peer: LangChain's tutorial RAG (`bench/peer.py`)",
        provenance(entry),
        "Same guides, same 16 `eval/dev.jsonl` cases with `expect_context`, scored with "
        "`chatbot.evaluation.contains`; same process, both sides back to back on each question. Peer: whole-file "
        "load (as "
        "TextLoader), `RecursiveCharacterTextSplitter(1000, 200)`, `langchain_chroma.Chroma`, "
        "`similarity_search(k=4)`, no conversation memory. Latency is retrieval only, query embedding included. "
        "On `1k` (seed guide among 168 generated guides) several dev questions name no role (\"What is the "
        "hourly wage?\"), so both sides may retrieve another role's facts.",
        table(["guides", "system", "chunks", "hit@1", "hit@k (k=4)", "p50 ms", "p95 ms", "runs", "build"], rows),
    ])


def quality_section(entry: dict[str, Any]) -> str:
    rows = []
    for s in entry["result"]["sets"]:
        o, p = s["ours"], s["peer"]
        hits = s.get("with_context", 1) > 0  # the benign and attack sets expect no passage: nothing to hit
        facts = s.get("with_facts", 1) > 0
        rows.append([s["set"], s["knowledge"], s["cases"], "ours", o["hit_at_1"] if hits else "—",
                     o["hit_at_k"] if hits else "—", o["all_facts"] if facts else "—", o["refusal_accuracy"],
                     o["forbidden_hits"], o["unsupported_numbers"], o["latency_ms_p50"]])
        rows.append([s["set"], s["knowledge"], s["cases"], "LangChain tutorial RAG", p["hit_at_1"] if hits else "—",
                     p["hit_at_4"] if hits else "—", "—", p["refusal_accuracy"], "—", "—", "—"])
    return "\n\n".join([
        "## 6. Answer quality, ours next to LangChain's tutorial RAG (`bench/quality.py`)",
        provenance(entry),
        "Every question set, scored by the rules of `eval/FORMAT.md` in one run. `dev`, `heldout` (never tuned "
        "on), `benign` (in-scope questions with words like *act as*, *rules*, *system*, *prompt*, typos, slang) "
        "and `attack` run on the bundled guide; sets marked *by hand* ran on a scratch folder with third-party "
        "guides that the repository does not ship (`--extra DIR:SET.jsonl`). The tutorial RAG only retrieves: "
        "its hit@k is at k=4, it has no answer to check for facts, and it never refuses.",
        table(["set", "knowledge", "cases", "system", "hit@1", "hit@k", "all facts", "refusal accuracy",
               "forbidden", "unsupported numbers", "p50 ms"], rows),
    ])


def memory_section(entry: dict[str, Any], targets: list[list[Any]]) -> str:
    r = entry["result"]
    targets.append([f"App RSS growth over the last 3/4 of {r['questions']} questions", f"<= {r['growth_bound_mb']} MB",
                    f"{r['growth_mb_after_first_quarter']} MB", verdict(r["growth_ok"])])
    targets.append(["Open files after vs idle", "<= +5", f"{r['files_delta']:+d}", verdict(r["files_ok"])])
    slope = max(r["growth_mb_after_first_quarter"], 0.01) / (r["questions"] * 0.75) * 100
    rows = [["idle (started, no question yet)", r["idle"]["rss_mb"], r["idle"]["peak_rss_mb"], r["idle"]["threads"],
             r["idle"]["open_files"]]]
    rows += [[f"after {c['questions']} questions", c["rss_mb"], c["peak_rss_mb"], c["threads"], c["open_files"]]
             for c in r["checkpoints"] if c["questions"]]
    return "\n\n".join([
        "## 4. Memory and open files of the app (`bench/memory.py`)",
        provenance(entry),
        f"`python app.py` on the seed guide (temporary index, free port), {r['questions']} questions "
        f"({r['distinct_questions']} distinct, dev set plus variants, some out of scope) through the Gradio HTTP "
        f"API (`gradio_client`, endpoint `/chat`), a new session every {r['session_size']} questions. "
        f"HTTP round trip per answer: p50 {r['http_p50_ms']:.0f} ms, p95 {r['http_p95_ms']:.0f} ms.",
        table(["when", "RSS MB", "peak RSS MB", "threads", "open files"], rows),
        f"After the first quarter RSS still rises by {slope:.2f} MB per 100 questions (within the bound; it would "
        f"reach the {r['growth_bound_mb']:.0f} MB bound after about {r['growth_bound_mb'] / slope * 100:,.0f} more "
        "questions if it never levels off).",
    ])


def coldstart_section(entry: dict[str, Any]) -> str:
    r = entry["result"]
    rows = [[mode, r[mode]["ready_s"]["median"], r[mode]["first_answer_s"]["median"],
             f"{r[mode]['first_answer_s']['min']:.1f}–{r[mode]['first_answer_s']['max']:.1f}",
             r[mode]["first_answer_s"]["runs"]] for mode in ("fresh", "existing")]
    return "\n\n".join([
        "## 5. Cold start (`bench/coldstart.py`)",
        provenance(entry),
        "From spawning `python app.py` to the page answering, and to the first answer returned over HTTP "
        "(`/chat`). `fresh`: empty index, so the first ingest of the seed guide (model load, 9 chunks and their "
        "sentences) is included; `existing`: the index is already up to date. OS file cache warm.",
        table(["index", "page up s (median)", "first answer s (median)", "first answer range s", "runs"], rows),
    ])


def findings(results: dict[str, dict[str, Any]]) -> list[str]:
    """Plain statements of what dominates, computed from the results."""
    out = []
    ingest = results.get("ingest", {}).get("result")
    if ingest:
        med = {k: v["median"] for k, v in ingest.items() if isinstance(v, dict) and "median" in v}
        out.append(
            f"- **Ingest** runs at {med['ratio']:.2f}x raw `encode` at sentence-transformers' default batch size "
            f"and {med['ratio_own_batch']:.2f}x raw `encode` at the embedder's own ({ingest['batch_size']} texts, "
            "faster on this CPU). Sentence vectors cost no extra model run: they are pooled from the chunk's own "
            f"forward pass ({ingest['sentences']:,} sentence vectors for {ingest['embedded_chunks']:,} chunks). "
            f"Parsing, chunking, Chroma and SQLite take {med['other_s']:.1f} s of {med['ingest_s']:.1f} s. The ratio "
            f"swings with machine load ({ingest['ratio']['min']:.2f} to {ingest['ratio']['max']:.2f})."
        )
    answer = results.get("answer", {}).get("result")
    if answer:
        probe = answer.get("query_embedding_threads", {})
        for s in answer["sizes"]:
            steps = s["steps_p50_ms"]
            prof = s.get("profile_ms_per_answer", {})
            correct = prof.get("Index.correct (typo fix + role short names)", 0.0)
            out.append(
                f"- **Answer at {s['label']}** ({s['guides']:,} guides/roles): p50 {s['p50_ms']:.0f} ms, of which "
                f"the query model call {steps['model_ms']:.0f} ms, dense {steps['dense_ms']:.0f} ms, "
                f"BM25 {steps['bm25_ms']:.1f} ms, compose {steps['compose_ms']:.0f} ms; typo correction and role "
                f"short names {correct:.1f} ms (profiled)."
            )
        out.append("  Role names and their short forms are looked up in tables built once per index version "
                   "(`chatbot/roles.py`), and typo correction compares an unknown word only with guide words of the "
                   "same first letter and similar length, so the per-question work no longer grows with the number "
                   "of guides; what grows is Chroma's search, BM25 and the one-time open of a new index version "
                   "(`open s` below).")
        big = next((s for s in answer["sizes"] if s["label"].startswith("100k")), None)
        if big:
            kind = "template-approximated vectors" if "approx" in big["label"] else "the real ingest"
            out.append(f"- **100k index build** ({kind}): {big['build']['build_seconds'] / 60:.0f} min for "
                       f"{big['chunks']:,} chunks, {big['disk_mb'] / 1000:.1f} GB on disk.")
        if "cores busy" in probe:
            quiet, busy = probe["as is"], probe["cores busy"]
            default = next(k for k in quiet if k != "threads_1")
            out.append(
                f"- **Query embedding under CPU contention**: with every core busy, torch's default threads "
                f"({default.replace('threads_', '')}) give p50 {busy[default]['p50_ms']:.0f} ms / p95 "
                f"{busy[default]['p95_ms']:.0f} ms per query vs {busy['threads_1']['p50_ms']:.0f} / "
                f"{busy['threads_1']['p95_ms']:.0f} ms with one thread (the app's setting); on the machine as it was: "
                f"{quiet[default]['p50_ms']:.0f} / {quiet[default]['p95_ms']:.0f} vs "
                f"{quiet['threads_1']['p50_ms']:.0f} / {quiet['threads_1']['p95_ms']:.0f} ms: one thread gives up "
                "a few ms on an idle machine to avoid the p95 spikes of a busy one."
            )
    return out


HEADINGS = {"ingest": "## 1. ", "answer": "## 2. ", "peer": "## 3. ", "memory": "## 4. ", "coldstart": "## 5. ",
            "quality": "## 6. "}


def _old_part(previous: str, heading: str) -> str:
    """The part of the previous BENCHMARKS.md under a heading, up to the next heading of the same level."""
    start = previous.find("\n" + heading)
    if start < 0:
        return ""
    end = previous.find("\n## ", start + 1)
    return previous[start + 1 : end if end >= 0 else len(previous)].strip()


def _old_rows(previous: str, heading: str) -> list[str]:
    """The body rows of the first table under a heading of the previous file."""
    return [line for line in _old_part(previous, heading).splitlines()[1:]
            if line.startswith("| ") and not line.startswith("| target ")]


def render(results: dict[str, dict[str, Any]], m: dict[str, Any], previous: str = "") -> str:
    targets: list[list[Any]] = []
    sections = []
    kept: list[str] = []  # sections measured before and not now: carried over as they were
    builders = {"ingest": lambda e: ingest_section(e, targets), "answer": lambda e: answer_section(e, targets),
                "peer": peer_section, "memory": lambda e: memory_section(e, targets), "coldstart": coldstart_section,
                "quality": quality_section}
    for name, build in builders.items():
        entry = results.get(name)
        if entry is None or "result" not in entry:
            old = _old_part(previous, HEADINGS[name])
            if old:
                kept.append(name)
            missing = f"{HEADINGS[name]}{name}\n\nNot measured yet: run `python bench/run.py --only {name}`."
            sections.append(old or missing)
        else:
            sections.append(build(entry))
    new_targets = table(["target", "bound", "measured", "verdict"], targets).splitlines()
    named = {row[0] for row in targets}
    carried = [r for r in _old_rows(previous, "## Targets") if r.split(" | ")[0].strip("| ") not in named]
    target_table = "\n".join(new_targets[:2] + carried + new_targets[2:]) if carried else "\n".join(new_targets)
    dominates = "\n".join(findings(results))
    if kept and not dominates:  # the findings come from sections carried over: keep them with those sections
        dominates = "\n".join(line for line in _old_part(previous, "## What dominates").splitlines()[1:] if line)
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    head = [
        "# Benchmarks",
        "Written by `make bench` (`python bench/run.py [--quick]`); do not edit by hand. Each script in `bench/` "
        "also runs alone and prints JSON. Indexes for the large sizes are cached in `bench/.cache/` (git-ignored).",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}; {versions}. "
        f"Rewritten {datetime.now().isoformat(' ', 'minutes')}.",
        "The machine is shared (other test runs were active; each section gives its load average): every number "
        "is a median of several runs, and every ratio compares two measurements taken in the same run.",
        "## Targets",
        target_table,
        "## What dominates",
        dominates,
        (BENCH_DIR / "history.md").read_text(encoding="utf-8").strip(),
    ]
    return "\n\n".join(head + sections) + "\n"

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
    if not any(s["label"].startswith("100k") for s in sizes):  # never an older run's figure
        target_row(targets, "Answer p50 at 100k chunks", "<= 60 ms", None, None)
    steps = ["model_ms", "embed_ms", "dense_ms", "bm25_ms", "retrieve_ms", "compose_ms", "other_ms"]
    latency = [[s["label"], s["guides"], s["chunks"], s["questions"], s["runs"], s["p50_ms"], s["p95_ms"],
                s.get("p50_best_run_ms", ""), s["cpu_p50_ms"], *[s["steps_p50_ms"][k] for k in steps]] for s in sizes]
    size_rows = [[s["label"], s["disk_mb"], s["disk_mb_per_1k_chunks"], s["chroma_mb_per_1k_chunks"],
                  round(s["disk_mb_per_1k_chunks"] - s["chroma_mb_per_1k_chunks"], 1),
                  s["open_s"], s["rss_mb_opened"], s["build"].get("build_seconds", ""),
                  s["build"].get("model_texts", "all"), s["refused_share"], s["dev_hit_at_k"],
                  "" if s["gen_hit_at_k"] is None else s["gen_hit_at_k"]] for s in sizes]
    return "\n\n".join([
        "## 2. Answer latency by index size (`bench/answer.py`)",
        provenance(entry),
        "Full answers through `build_chain(Index)` (condense, retrieve, compose), query-embedding cache cleared "
        f"before every question, query encoder `{sizes[0].get('encoder', 'torch') if sizes else 'torch'}` (the "
        "app's default; every query encoder next to the peer in section 7). "
        "Questions: the 20 of `eval/dev.jsonl`, plus generated questions about generated "
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
        "extra cost (snapshot, BM25 build, role tables, Chroma load); `RSS +MB` the memory the index adds when it "
        "is first opened in the process (later sides of the same index share what the first loaded).",
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
        "hourly wage?\"), so both sides may retrieve another role's facts. Our whole answer against the peer's "
        "retrieval, at every size, is in section 7 (goal 1).",
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


# Issue 16's "before": the runs recorded in BENCHMARKS.md and bench/history.md before the issue's work.
BEFORE_16 = {
    "answer_seed_ms": 9.4, "peer_seed_ms": 6.3, "query_embedding_ms": 5.6, "first_question_wait_s": 24.6,
    "mb_per_1k": 32.1, "chroma_mb_per_1k": 7.7, "record_mb_per_1k": 24.4, "ingest_peak_gb": 5.0,
    "first_answer_s": 6.6,
}
BEFORE_NOTE = ("_Before_: the runs recorded in BENCHMARKS.md and `bench/history.md` before issue 16 (answer and "
               "peer 2026-11-24, commits 708c242 and 58f1a71; 100k index and ingest from the session-2 build).")
SIZES_16 = ["seed", "1k", "10k", "100k"]
NOT_MEASURED = "not measured"


def get(data: Any, *keys: Any) -> Any:
    """data[k1][k2]..., or None when any step is missing."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ms_pair(side: dict[str, Any] | None) -> str:
    return f"{side['p50_ms']:.1f} / {side['p95_ms']:.1f}" if side else NOT_MEASURED


def target_row(targets: list[list[Any]], name: str, bound: str, value: Any, ok: bool | None, shown: str = "",
               only_at: str = "") -> None:
    """A Targets row; a value that was not measured says so instead of a verdict, and one measured only at a
    smaller size than the target names says at which (its verdict is that size's, not the target's)."""
    if value is None:
        targets.append([name, bound, NOT_MEASURED, verdict(None)])
    else:
        targets.append([name, bound, shown or value, verdict(ok) + (f" at {only_at} only" if only_at else "")])


def answer_sizes(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    sizes = get(results, "answer", "result", "sizes") or []
    return {s["label"]: s for s in sizes}


def ratio_of(x: dict[str, Any]) -> float:
    """The goal-1 ratio: ours p50 ÷ peer p50 within each run (same minutes, same neighbours), median over runs."""
    return float(x["per_run"]["median"] if "per_run" in x else x["p50"])


def ratio_cell(x: dict[str, Any] | None) -> str:
    if not x:
        return NOT_MEASURED
    cpu = f"; CPU {x['cpu_p50']:.2f}" if "cpu_p50" in x else ""
    return f"{ratio_of(x):.2f} ({x['per_run']['min']:.2f}–{x['per_run']['max']:.2f}{cpu})"


def app_encoder(by_size: dict[str, dict[str, Any]]) -> str:
    """The query encoder the app answers with, as bench/answer.py recorded it."""
    return next((str(s["encoder"]) for s in by_size.values() if "encoder" in s), "onnx-int8")


def goal1_section(results: dict[str, dict[str, Any]], targets: list[list[Any]]) -> str:
    entry = results.get("answer")
    by_size = answer_sizes(results)
    found = [n for s in by_size.values() for n in s.get("sides", {}) if n != "peer"]
    encoders = list(dict.fromkeys(found)) or ["torch", "onnx-int8"]
    rows = []
    for size in SIZES_16:
        s = by_size.get(size)
        if s is None or "sides" not in s:
            rows.append([size, NOT_MEASURED, "", "", *[""] * (2 * len(encoders)), ""])
            target_row(targets, f"Goal 1: whole answer p50 ÷ peer retrieval p50 at {size}", "<= 0.8", None, None)
            continue
        sides, ratio = s["sides"], s.get("ratio_to_peer", {})
        cells = [c for e in encoders for c in (ms_pair(sides.get(e)), ratio_cell(ratio.get(e)))]
        rows.append([size, s["chunks"], get(sides, "peer", "chunks") or "", ms_pair(sides.get("peer")), *cells,
                     f"{s['questions']} × {s['runs']}"])
        after = ratio.get(s.get("encoder", "torch"))
        target_row(targets, f"Goal 1: whole answer p50 ÷ peer retrieval p50 at {size}", "<= 0.8",
                   after and ratio_of(after), bool(after) and ratio_of(after) <= 0.8,
                   f"{ratio_of(after):.2f} ({s.get('encoder', 'torch')} query encoder)" if after else "")
    seed_ratio = BEFORE_16["answer_seed_ms"] / BEFORE_16["peer_seed_ms"]
    parts = [
        "### Goal 1: our whole answer faster than the peer's retrieval (`bench/answer.py`, `bench/encoder.py`)",
        provenance(entry) if entry and "result" in entry else "_`bench/answer.py` not run yet._",
        "Ours: the whole answer (`chain.ask` on `build_chain(Index)`: understanding, retrieval, gate, composition), "
        "query cache cleared per question; peer: LangChain's tutorial `similarity_search(question, k=4)` (torch "
        "MiniLM, no cache). Same questions, same process, one torch thread, every side in turn with the first side "
        "rotating per question; p50 / p95 ms per run, then the median over runs. Ratio: ours p50 ÷ peer p50 within "
        "each run (both sides measured in the same minutes), the median over runs (in brackets the range over "
        "runs, and the ratio of process CPU time per answer, which moves less "
        "with the neighbours' load). `torch` is the query encoder before issue 16; `onnx` (float32) and "
        "`onnx-int8` are the ONNX exports of the same MiniLM; the Targets row uses the app's default encoder.",
        f"_Before_: whole answer p50 {BEFORE_16['answer_seed_ms']} ms against the peer's retrieval "
        f"{BEFORE_16['peer_seed_ms']} ms at the seed guide (ratio {seed_ratio:.2f}), "
        f"of which the query embedding {BEFORE_16['query_embedding_ms']} ms (BENCHMARKS.md of 2026-11-24).",
        table(["index", "chunks (ours)", "chunks (peer)", "peer p50 / p95",
               *[c for e in encoders for c in (f"ours {e} p50 / p95", f"ratio {e}")], "questions × runs"], rows),
        encoder_part(results.get("encoder"), targets, app_encoder(by_size)),
    ]
    return "\n\n".join(p for p in parts if p)


def pct(x: float | None) -> str:
    return f"{x:.1%}" if x is not None else NOT_MEASURED


def fine(x: float | None) -> str:
    """Four decimals: cosines and thresholds differ in the third."""
    return f"{x:.4f}" if isinstance(x, int | float) else ""


def agreements(agree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """bench/encoder.py's agreement with torch per ONNX encoder: int8 at the top level, float32 under "onnx"."""
    out = {"onnx-int8": {k: v for k, v in agree.items() if not isinstance(v, dict)}}
    out.update({k: v for k, v in agree.items() if isinstance(v, dict)})
    return out


def encoder_part(entry: dict[str, Any] | None, targets: list[list[Any]], default: str) -> str:
    r = get(entry, "result")
    indexes = {"seed": {}, "1k": {}, **(get(r, "indexes") or {})}  # named rows always: a Targets row is never stale
    rows = []
    for name, agree in indexes.items():
        by_encoder = agreements(agree)
        for encoder, a in by_encoder.items():
            if a:
                rows.append([name, encoder, a.get("chunks", ""), pct(a.get("same_top4_dev")), pct(a.get("same_top4")),
                             pct(a.get("same_top4_order")), pct(a.get("same_top1")), fine(a.get("cosine_mean")),
                             fine(a.get("cosine_min"))])
        checked = by_encoder.get(default) or by_encoder.get("onnx-int8") or {}
        same = checked.get("same_top4_dev", checked.get("same_top4"))
        which = default if by_encoder.get(default) else "onnx-int8"
        target_row(targets, f"Goal 1: app's query encoder, same top-4 as torch on dev questions at {name}",
                   ">= 98 %", same, same is not None and same >= 0.98,
                   f"{same:.1%} ({which})" if same is not None else "")
    if not r:
        return "Query encoder agreement (`bench/encoder.py`): not measured yet."
    assert entry is not None
    lat = r.get("latency_ms", {})
    encoders = list(lat) or ["torch", "onnx-int8"]
    lat_rows = [[name, v.get("p50", ""), v.get("p95", "")] for name, v in lat.items()]
    by_index = r.get("scores_by_index") or {"seed": r.get("scores", {})}
    score_rows = []
    for index_name, sets in by_index.items():
        for set_name, by_encoder in sets.items():
            base = by_encoder.get("torch", {})
            for key in [k for k in base if isinstance(base[k], int | float)]:
                score_rows.append([index_name, set_name, key, *[get(by_encoder, e, key) for e in encoders]])
    thresholds = r.get("thresholds") or {}
    if thresholds and not any(isinstance(get(thresholds, e), dict) and "min_evidence" in thresholds[e]
                              for e in encoders):
        for index_name, found in thresholds.items():  # per index, then per encoder
            score_rows.append([index_name, "dev (calibration)", "min_evidence",
                               *[fine(get(found, e, "min_evidence")) for e in encoders]])
    elif thresholds:
        score_rows.append(["seed", "dev (calibration)", "min_evidence",
                           *[fine(get(thresholds, e, "min_evidence")) for e in encoders]])
    exports = [f"int8 export {r['export_s']} s" if "export_s" in r else "",
               f"int8 file {r['onnx_bytes'] / 1e6:.1f} MB" if "onnx_bytes" in r else "",
               f"float32 export {r['float32']['export_s']} s, file {r['float32']['bytes'] / 1e6:.1f} MB"
               if isinstance(r.get("float32"), dict) and "bytes" in r["float32"] else ""]
    return "\n\n".join(p for p in [
        "Query encoders, ONNX against torch (`bench/encoder.py`):",
        provenance(entry),
        f"{r.get('questions', '?')} questions (dev, heldout, benign); " + ", ".join(e for e in exports if e) + ".",
        table(["index", "encoder", "chunks", "same top-4 (dev)", "same top-4 (all)", "same top-4, same order",
               "same top-1", "query cosine mean", "query cosine min"], rows) if rows else "",
        table(["encoder", "query p50 ms", "query p95 ms"], lat_rows) if lat_rows else "",
        table(["index", "set", "score", *encoders], [[*row[:3], *[f"{c:.3f}" if isinstance(c, float) else
                                                                  ("" if c is None else c) for c in row[3:]]]
                                                    for row in score_rows]) if score_rows else "",
    ] if p)


def goal2_section(entry: dict[str, Any] | None, targets: list[list[Any]]) -> str:
    r = get(entry, "result")
    before = (f"_Before_: the first question after a re-ingest picked up while serving waited "
              f"{BEFORE_16['first_question_wait_s']} s for the new snapshot at 100k chunks (the snapshot was built "
              "in the request; `open s` of the 100k row in BENCHMARKS.md of 2026-11-24).")
    head = "### Goal 2: no wait at a version switch (`bench/switch.py`)"
    if not r:
        target_row(targets, "Goal 2: answer p95 during a re-ingest at 100k", "<= 100 ms", None, None)
        target_row(targets, "Goal 2: no request waits for the build", "none", None, None)
        return "\n\n".join([head, before, "Not measured yet: run `python bench/run.py --only switch`."])
    assert entry is not None
    waited = switch_waits(r)
    target_row(targets, "Goal 2: answer p95 during a re-ingest at 100k", "<= 100 ms", r.get("p95_ms"),
               r.get("p95_ms") is not None and r["p95_ms"] <= 100, f"{r.get('p95_ms', 0):.1f} ms",
               "" if r.get("size") == "100k" else str(r.get("size")))
    target_row(targets, "Goal 2: no request waits for the build", "none", waited, waited == 0,
               f"{waited} (slowest {r.get('max_ms', 0):,.0f} ms, build {r.get('build_s', 0):.1f} s)")
    keys = ["answers", "p50_ms", "p95_ms", "max_ms", "switch_max_ms", "build_s", "ingest_s", "fresh_after_s",
            "peak_rss_mb"]
    rows = [["new snapshot built in the background (now)", *[r.get(k, "") for k in keys]]]
    fg = r.get("foreground")
    if isinstance(fg, dict) and fg:
        rows.append(["built by the request that sees the new version (before)", *[fg.get(k, "") for k in keys]])
    return "\n\n".join([
        head, provenance(entry), before,
        f"`python ingest.py` re-ingests a copy of the {r.get('size', '?')} index ({r.get('chunks', '?')} chunks) "
        "after one edit (the seed guide's salary figure) while this process answers full answers in a loop. "
        "Latencies over the window from the ingest's start to a few seconds after the first answer with the new "
        "figure; `max in switch`: the slowest answer between the record's commit and that first fresh answer; "
        "`fresh after`: seconds from the commit to it. A request counts as waiting when it took over 100 ms and at "
        "least half the build time, starting after the commit.",
        table(["snapshot", "answers", "p50 ms", "p95 ms", "max ms", "max in switch ms", "build s", "ingest s",
               "fresh after s", "peak RSS MB"], rows),
        "Slowest answers (ms, seconds after the commit): " + "; ".join(
            f"{name}: " + ", ".join(f"{x['ms']:,.0f} ({x['after_commit_s']:+.1f} s)" for x in row.get("slowest", []))
            for name, row in (("background", r), ("foreground", fg if isinstance(fg, dict) else {}))
            if row.get("slowest")) + ".",
    ])


def switch_waits(r: dict[str, Any]) -> int | None:
    """Answers that waited for the snapshot build, among the slowest the script kept: one counts when it started
    after the record's commit and took over 100 ms (the p95 bound) and at least half the build time."""
    if "slowest" not in r or "build_s" not in r:
        return None
    bound = max(100.0, 500 * float(r["build_s"]))
    return sum(1 for s in r["slowest"] if s["ms"] >= bound and s.get("after_commit_s", 0) >= 0)


def build_facts(results: dict[str, dict[str, Any]], size: str) -> dict[str, Any] | None:
    """An index build's facts: bench/indexes.py's result, else the build info answer.py carried."""
    facts = get(results, "indexes", "result", size) or get(answer_sizes(results), size, "build")
    return facts if isinstance(facts, dict) else None


def mb_per_1k(facts: dict[str, Any], key: str = "disk_bytes") -> float | None:
    value, chunks = facts.get(key), facts.get("chunks")
    return round(value / 1e6 / chunks * 1000, 2) if isinstance(value, int | float) and chunks else None


def goal34_sections(results: dict[str, dict[str, Any]], targets: list[list[Any]]) -> str:
    entry = results.get("indexes") or results.get("answer")
    disk_rows, rss_rows = [], []
    for size in SIZES_16:
        facts = build_facts(results, size)
        if not facts:
            disk_rows.append([size, NOT_MEASURED, "", "", "", ""])
            rss_rows.append([size, NOT_MEASURED, "", ""])
            continue
        parts = facts.get("disk", {}) if isinstance(facts.get("disk"), dict) else {}
        part_cells = ", ".join(f"{k} {v / 1e6 / facts['chunks'] * 1000:.1f}" for k, v in parts.items()
                               if isinstance(v, int | float))
        disk_rows.append([size, facts.get("chunks", ""), round(facts.get("disk_bytes", 0) / 1e6, 1),
                          mb_per_1k(facts) or "", part_cells, facts.get("sentence_vectors", "")])
        peak = facts.get("peak_rss_mb")
        rss_rows.append([size, facts.get("chunks", ""), peak if peak is not None else NOT_MEASURED,
                         facts.get("build_seconds", "")])
    # The largest size built stands in for 100k when that was not built, and the row says so.
    at = next((s for s in reversed(SIZES_16) if s != "seed" and build_facts(results, s)), "100k")
    big = build_facts(results, at) or {}
    only = "" if at == "100k" else at
    per_1k, peak = mb_per_1k(big), big.get("peak_rss_mb")
    target_row(targets, "Goal 3: index on disk per 1k chunks at 100k", "<= 12 MB", per_1k,
               per_1k is not None and per_1k <= 12, f"{per_1k:.1f} MB" if per_1k is not None else "", only)
    target_row(targets, "Goal 4: peak RSS of the 100k-chunk ingest", "<= 1.5 GB", peak,
               peak is not None and peak <= 1536, f"{peak / 1024:.2f} GB" if peak is not None else "", only)
    note = provenance(entry) if entry and "result" in entry else ""
    return "\n\n".join(p for p in [
        "### Goal 3: compact index (`bench/indexes.py`)",
        note,
        f"_Before_: {BEFORE_16['mb_per_1k']} MB per 1k chunks at 100k (Chroma {BEFORE_16['chroma_mb_per_1k']}, "
        f"SQLite record {BEFORE_16['record_mb_per_1k']}, mostly float32 sentence vectors; 3.2 GB in all).",
        table(["index", "chunks", "disk MB", "MB / 1k chunks", "per part (MB / 1k chunks)", "sentence vectors"],
              disk_rows),
        "The change in scores from the compact sentence vectors is measured on the dev sets by `bench/quality.py` "
        "(section 6, against the previous results in git).",
        "### Goal 4: bounded ingest memory (`bench/indexes.py`)",
        f"_Before_: the 100k-chunk ingest peaked near {BEFORE_16['ingest_peak_gb']:.0f} GB RSS.",
        table(["index", "chunks", "ingest peak RSS MB", "build s"], rss_rows),
    ] if p)


def goal5_section(entry: dict[str, Any] | None, targets: list[list[Any]]) -> str:
    first = get(entry, "result", "existing", "first_answer_s")
    target_row(targets, "Goal 5: cold start to the first answer, existing index", "<= 5 s", first and first["median"],
               bool(first) and first["median"] <= 5, f"{first['median']:.1f} s" if first else "")
    before = (f"_Before_: {BEFORE_16['first_answer_s']} s from `python app.py` to the first answer with an existing "
              "index (BENCHMARKS.md of 2026-11-24).")
    after = (f"After: {first['median']:.1f} s median ({first['min']:.1f}–{first['max']:.1f} s, {first['runs']} runs); "
             "the table in section 5." if first else
             "After: not measured yet (`python bench/run.py --only coldstart`).")
    return "\n\n".join(["### Goal 5: cold start (`bench/coldstart.py`)", before, after])


def issue16_section(results: dict[str, dict[str, Any]], targets: list[list[Any]]) -> str:
    return "\n\n".join([
        "## 7. Issue 16: speed goals, before and after",
        BEFORE_NOTE,
        goal1_section(results, targets),
        goal2_section(results.get("switch"), targets),
        goal34_sections(results, targets),
        goal5_section(results.get("coldstart"), targets),
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
            "as fast as 16 on this CPU with a quarter of the working memory). Sentence vectors cost no extra model "
            "run: they are pooled from the chunk's own "
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
                f"the query embedding {steps['model_ms'] or steps['embed_ms']:.0f} ms, "
                f"dense {steps['dense_ms']:.0f} ms, "
                f"BM25 {steps['bm25_ms']:.1f} ms, compose {steps['compose_ms']:.0f} ms; typo correction and role "
                f"short names {correct:.1f} ms (profiled)."
            )
        out.append("  Role names and their short forms are looked up in tables built once per index version "
                   "(`chatbot/roles.py`), and typo correction compares an unknown word only with guide words of the "
                   "same first letter and similar length, so the per-question work no longer grows with the number "
                   "of guides; what grows is Chroma's search, BM25 and the one-time open of a new index version "
                   "(`open s` below).")
        compared = [s for s in answer["sizes"] if s.get("ratio_to_peer")]
        if compared:
            out.append("- **Whole answer against the peer's retrieval** (p50, ratio): " + "; ".join(
                f"{s['label']} peer {s['sides']['peer']['p50_ms']:.1f} ms, " + ", ".join(
                    f"{name} {s['sides'][name]['p50_ms']:.1f} ms ({ratio_of(r):.2f}x)"
                    for name, r in s["ratio_to_peer"].items()) for s in compared)
                + ". Of our answer, the query encoder's own call is " + "; ".join(
                f"{s['label']} " + ", ".join(f"{name} {s['sides'][name]['steps_p50_ms']['model_ms']:.1f} ms"
                                            for name in s["ratio_to_peer"]) for s in compared) + ".")
        big = next((s for s in answer["sizes"] if s["label"].startswith("100k")), None)
        if big:
            kind = "template-approximated vectors" if "approx" in big["label"] else "the real ingest"
            out.append(f"- **100k index build** ({kind}): {big['build'].get('build_seconds', 0) / 60:.0f} min for "
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
    sections.append(issue16_section(results, targets))
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

"""Reply triage throughput on one core, both readers and language identification:
`python -m bench.triage_bench [--n N] [--smoke]`.

The replies are made from fragments in the style of real SMS (short acknowledgements, symptoms,
negations, long chatty messages, replies in the languages the lexicon reads and in one it does
not), shuffled with a fixed seed so every run reads the same mix and almost every reply is
different. Everything triage loads (lexicons, the English word list, the second reader, the
language detector) is loaded before the clock starts, as the worker does before it forks; the
figures are CPU time, which a busy machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time

from messages.triage import preload, triage

TARGET = 2000  # replies per CPU second on one core, both readers (issue 11)
OPENINGS = ("", "Hi, ", "Morning! ", "Thanks for the text. ", "Hiya love, ", "Dad here - ", "OK ")
BODIES = (
    "fine thanks",
    "all good here 👍",
    "no numbness or weakness",
    "cant feel ma legs properly",
    "back pain worse at night, paracetamol not touching it",
    "The tingling stopped last month after my steroids, nothing new since",
    "no pain but my legs are weak",
    "Is my scan still on Tuesday?",
    "Pins n needles in me feet 😩",
    "Mum can't stand up, she says her legs won't work",
    "Mae fy nghoesau'n wan iawn heddiw",
    "Wszystko w porządku, dziękuję",
    "Got a stinking headache today",
    "Band of pain round my ribs like a tight belt",
    "STOP",
    "numbnes in both feet since sunday",
    "Feeling good today, walked to the shops and back no bother",
    "All grand here, only my soles feel sort of far away",
    "my handwriting has gone to pot and I keep dropping cups",
    "what should I do if my legs ever go weak?",
    "Sunt bine, mulțumesc",
    "Estou com as pernas dormentes desde ontem",
    "main theek hoon, koi nayi takleef nahi",
    "Waan fiicanahay, mahadsanid",
    "Bacaklarım dünden beri uyuşuk",  # noqa: RUF001 (Turkish dotless i)
    "Je me sens bien, merci beaucoup",
)
CHAT = (
    " We went to the garden centre at the weekend and had lunch in the cafe with the grandkids.",
    " The weather has been awful so I have mostly stayed in and watched the telly.",
    " See you at clinic on the 14th, take care.",
)


def make_replies(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    replies = []
    for i in range(n):
        text = rng.choice(OPENINGS) + rng.choice(BODIES)
        if rng.random() < 0.2:
            text += "".join(rng.choice(CHAT) for _ in range(rng.randint(1, 4)))
        replies.append(f"{text} ({i % 97})" if rng.random() < 0.5 else text)
    return replies


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return None


def run(n: int) -> dict[str, object]:
    replies = make_replies(n)
    before = _rss_mb()
    load_start = time.process_time()
    preload()
    load_cpu = time.process_time() - load_start
    loaded = _rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    labels: dict[str, int] = {}
    readers: dict[str, int] = {}
    for text in replies:
        result = triage(text)
        key = str(result.label) + (f":{result.review}" if result.review else "")
        labels[key] = labels.get(key, 0) + 1
        reader = str(result.evidence.get("reader", "keyword"))
        readers[reader] = readers.get(reader, 0) + 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    per_cpu_second = round(n / cpu, 1) if cpu else None
    return {
        "benchmark": "triage",
        "n": n,
        "seconds": round(elapsed, 3),
        "replies_per_second": round(n / elapsed, 1),
        "cpu_seconds": round(cpu, 3),
        "replies_per_cpu_second": per_cpu_second,
        "target_replies_per_cpu_second": TARGET,
        "met": per_cpu_second is not None and per_cpu_second >= TARGET,
        "load_cpu_seconds": round(load_cpu, 2),
        "triage_rss_mb": round(loaded - before, 1) if loaded and before else None,
        "mean_chars": round(sum(map(len, replies)) / n, 1),
        "labels": dict(sorted(labels.items())),
        "label_set_by": dict(sorted(readers.items())),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="replies to triage (default 20000)")
    parser.add_argument("--smoke", action="store_true", help="a quick run for CI (500 replies)")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    figures = run(500 if args.smoke else max(1, args.n))
    print(f"triaged {figures['n']} replies in {figures['seconds']} s on one core")
    print(
        f"{figures['replies_per_second']} replies/second wall clock, "
        f"{figures['replies_per_cpu_second']} per CPU second (target {TARGET}, both readers); "
        f"loading {figures['load_cpu_seconds']} s CPU, {figures['triage_rss_mb']} MB"
    )
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

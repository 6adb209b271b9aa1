"""Benchmark: screen generated community posts with the watchword engine, beside a naive loop.

A script, not a test: `python benchmarks/watchwords.py [--posts N]`. Posts (50–300 words) and 2,000
extra phrase rules are generated from a seeded random, so every run screens the same load. The
engine screens every post on one core; the naive loop (one compiled regex per rule, run in turn on
the lower-cased post, with no normalisation at all) is timed on a sample and extrapolated, because
at its speed the full run would take hours. Both are timed by the process's CPU time as well as the
wall clock: the machine is shared, and under load the wall clock measures the neighbours. Target
(DESIGN.md, "watchwords"): at least 5,000 posts per second and at least ten times the naive loop.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from moderation import Action, Engine, Kind, Tier, Watchword, default_watchwords

EXTRA_RULES = 2_000
VOCABULARY = """
i me my myself we our you your he she they them it is am are was were be been being have has had do
does did not no yes and but or so because if when then than that this these those there here what
which who how why where all any some many much more most very really just still even also too only
again always never sometimes often today tonight yesterday tomorrow week month year morning night
day time life people person friend friends family mum dad partner sister brother son daughter
child children baby work job boss school college uni money bills house home flat room bed sleep
tired awake anxious anxiety worried worry stress stressed panic calm sad low down depressed happy
okay fine better worse good bad hard easy difficult help support therapy therapist session group
talk talking listen feel feeling feelings felt think thinking thought thoughts know knew want need
going go went come came get got make made take took give gave see saw look looked find found tell
told say said ask asked try tried keep kept leave left start started stop stopped finish finished
walk walked run eat ate drink cook cooked read wrote write watch watched play played call called
text message phone email online post posts reply thanks thank sorry please hello hi hey love like
hate miss missed hope hoped wish wished afraid scared nervous angry upset lonely alone together
new old first last next little big small long short great lovely nice awful terrible brilliant
weather rain sun cold warm garden park dog cat tea coffee breakfast lunch dinner shop shopping bus
train car drive walk doctor gp appointment medication meds pills dose week weekend holiday music
film book books game games kind small steps progress goal goals plan plans routine habit habits
breathing exercise exercises mindfulness journal diary mood tracker score questionnaire worksheet
"""
WORDS = tuple(sorted(set(VOCABULARY.split())))
PUNCTUATION = [".", ".", ",", ",", "!", "?", "...", " -", ":)", ""]


def generate_posts(count: int, rng: random.Random) -> list[str]:
    posts = []
    for _ in range(count):
        words = rng.choices(WORDS, k=rng.randint(50, 300))
        pieces: list[str] = []
        sentence_start = True
        for word in words:
            pieces.append(word.capitalize() if sentence_start else word)
            sentence_start = False
            if rng.random() < 0.09:
                mark = rng.choice(PUNCTUATION)
                pieces[-1] += mark
                sentence_start = mark in {".", "!", "?", "..."}
        posts.append(" ".join(pieces))
    return posts


def generate_rules(count: int, rng: random.Random) -> list[Watchword]:
    """`count` distinct phrases of two to four vocabulary words, as flag-only house rules."""
    phrases: set[str] = set()
    while len(phrases) < count:
        phrases.add(" ".join(rng.choices(WORDS, k=rng.choice((2, 2, 3, 3, 4)))))
    return [
        Watchword(f"bench.{n:04d}", Tier.HOUSE_RULES, Action.FLAG, Kind.PHRASE, phrase, "generated")
        for n, phrase in enumerate(sorted(phrases))
    ]


def naive_patterns(rules: list[Watchword]) -> list[re.Pattern[str]]:
    """One regex per rule: phrases as whole-word literals, regex rules as written."""
    return [
        re.compile(
            rf"(?<!\w){re.escape(r.pattern)}(?!\w)" if r.kind is Kind.PHRASE else r.pattern, re.I
        )
        for r in rules
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts to screen (100000)")
    parser.add_argument("--naive-posts", type=int, default=500, help="naive-loop sample (500)")
    parser.add_argument("--seed", type=int, default=20_240_601)
    args = parser.parse_args()
    if args.posts < 1 or args.naive_posts < 1:
        parser.error("--posts and --naive-posts must be at least 1")

    load = os.getloadavg()[0]
    print(f"one process; load average {load:.2f} on {os.cpu_count()} CPUs when starting")
    rng = random.Random(args.seed)
    rules = [*generate_rules(EXTRA_RULES, rng), *default_watchwords()]
    started = time.perf_counter()
    posts = generate_posts(args.posts, rng)
    words = sum(post.count(" ") + 1 for post in posts)
    print(
        f"generated {len(posts):,} posts ({words / len(posts):.0f} words, "
        f"{sum(map(len, posts)) / len(posts):.0f} characters on average) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"rules: {len(rules):,} ({EXTRA_RULES:,} generated phrases + "
        f"{len(rules) - EXTRA_RULES} shipped defaults)"
    )

    started = time.perf_counter()
    engine = Engine(rules)
    print(f"engine built in {time.perf_counter() - started:.3f} s")

    wall, cpu = time.perf_counter(), time.process_time()
    caught = matches = 0
    for post in posts:
        found = engine.check(post)
        matches += len(found)
        caught += bool(found)
    fast = Timing(len(posts), time.perf_counter() - wall, time.process_time() - cpu)
    print(f"engine: {fast} ({caught:,} posts matched, {matches:,} matches)")

    sample = posts[: args.naive_posts]
    patterns = naive_patterns(rules)
    wall, cpu = time.perf_counter(), time.process_time()
    naive_matches = 0
    for post in sample:
        lowered = post.lower()
        for pattern in patterns:
            naive_matches += sum(1 for _ in pattern.finditer(lowered))
    naive = Timing(len(sample), time.perf_counter() - wall, time.process_time() - cpu)
    print(
        f"naive one-regex-per-rule loop, on a sample: {naive} ({naive_matches:,} matches); "
        f"extrapolated to {len(posts):,} posts: {len(posts) / naive.cpu_rate:,.0f} CPU-s"
    )
    print(
        f"engine / naive: {fast.cpu_rate / naive.cpu_rate:,.0f}x by CPU time, "
        f"{fast.wall_rate / naive.wall_rate:,.0f}x by wall clock"
    )
    print(
        f"targets (CPU time, one core): >= 5,000 posts/s "
        f"{'met' if fast.cpu_rate >= 5_000 else 'NOT met'}; "
        f">= 10x naive {'met' if fast.cpu_rate >= 10 * naive.cpu_rate else 'NOT met'}"
    )


@dataclass(frozen=True)
class Timing:
    posts: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def wall_rate(self) -> float:
        return self.posts / self.wall_seconds

    @property
    def cpu_rate(self) -> float:
        return self.posts / self.cpu_seconds

    def __str__(self) -> str:
        return (
            f"{self.posts:,} posts in {self.cpu_seconds:.2f} CPU-s = {self.cpu_rate:,.1f} "
            f"posts/s ({self.wall_seconds:.2f} s wall = {self.wall_rate:,.1f} posts/s)"
        )


if __name__ == "__main__":
    main()

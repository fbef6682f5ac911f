"""Measure Beacon's text analytics on public labeled data.

    python benchmarks/insights_eval.py DATA_DIR [--quick] [--no-extra]

DATA_DIR holds semeval2014_restaurants/, mams_acsa/ and banking77/ (see the README next
to the data). Training and prediction go through the classes the product uses
(beacon.insights.engine), with the same shipped seed comments an organisation starts with.
Every accuracy figure is measured twice when the optional extra `beacon[transformers]` is
installed: with the default install's word vectors and with the sentence transformer
(otherwise the results say "not installed"). Writes benchmarks/results/insights.json and
prints each figure beside its target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beacon.insights.engine import (  # noqa: E402
    Example,
    InsightModel,
    ReasonModel,
    ThemeSpec,
)
from beacon.insights.training_comments import seed_sentiment  # noqa: E402
from beacon.insights.vectors import MINILM, WORDS, MiniLM, available, encoder  # noqa: E402

POLARITY = {"conflict": "mixed"}

# Written for this benchmark in our own words: what a new customer would type in.
SEMEVAL_THEMES = [
    ThemeSpec(
        "food",
        "Food",
        "The food and drinks: dishes, taste, freshness, portions, the menu and the chef",
        ("the food was delicious", "pizza was cold", "great sushi", "bland pasta"),
    ),
    ThemeSpec(
        "service",
        "Service",
        "The staff and service: waiters, waiting time, attentiveness, friendliness, manager",
        ("our waiter was rude", "service was quick", "friendly staff", "we waited an hour"),
    ),
    ThemeSpec(
        "price",
        "Price",
        "Prices, value for money, the bill, cheap or expensive, worth it",
        ("too expensive", "good value", "reasonably priced", "overpriced for what you get"),
    ),
    ThemeSpec(
        "ambience",
        "Ambience",
        "Atmosphere, decor, music, noise, seating, the room and the view",
        ("cozy atmosphere", "too loud", "beautiful decor", "cramped tables"),
    ),
    ThemeSpec(
        "anecdotes/miscellaneous",
        "Anecdotes and general",
        "The visit in general, recommendations, stories, the place overall, going back",
        ("we will be back", "highly recommend this place", "we went there for a birthday"),
    ),
]


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def to_example(row: dict[str, Any]) -> Example:
    return Example(
        row["text"],
        {
            c["category"]: POLARITY.get(c["polarity"], c["polarity"] or "")
            for c in row["categories"]
        },
    )


def micro_f1(model: InsightModel, rows: list[dict[str, Any]]) -> float:
    analyses = model.analyse([r["text"] for r in rows])
    tp = fp = fn = 0
    for row, analysis in zip(rows, analyses, strict=True):
        gold = {c["category"] for c in row["categories"]}
        pred = {t.key for t in analysis.themes}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return 100.0 * 2 * tp / max(2 * tp + fp + fn, 1)


def polarity_accuracy(model: InsightModel, rows: list[dict[str, Any]]) -> float:
    pairs = [(r["text"], c["category"]) for r in rows for c in r["categories"]]
    gold = [POLARITY.get(c["polarity"], c["polarity"]) for r in rows for c in r["categories"]]
    pred = model.theme_polarity(pairs)
    return 100.0 * sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold)


def few_shot(rows: list[dict[str, Any]], per_category: int, seed: int) -> list[dict[str, Any]]:
    """`per_category` sentences labelled with each category (a sentence can count for two)."""
    rng = random.Random(seed)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    need: dict[str, int] = defaultdict(lambda: per_category)
    picked = []
    for row in shuffled:
        cats = [c["category"] for c in row["categories"]]
        if any(need[c] > 0 for c in cats):
            picked.append(row)
            for c in cats:
                need[c] -= 1
    return picked


# The full-train SemEval model of each encoder, kept for the extra's speed run: with the
# extra it takes minutes to train, so it is trained once.
_semeval_models: dict[str, InsightModel] = {}


def semeval(data: Path, seeds: list[int], encoder: str = WORDS) -> dict[str, Any]:
    train = load(data / "semeval2014_restaurants" / "train.jsonl")
    test = load(data / "semeval2014_restaurants" / "test.jsonl")
    t0 = time.perf_counter()
    model = InsightModel.train(
        SEMEVAL_THEMES, [to_example(r) for r in train], seed_sentiment(), encoder
    )
    _semeval_models[encoder] = model
    out: dict[str, Any] = {
        "train_seconds": round(time.perf_counter() - t0, 1),
        "category_f1": round(micro_f1(model, test), 1),
        "polarity_accuracy_4class": round(polarity_accuracy(model, test), 1),
    }
    for k in (5, 10, 25):
        f1s, pols = [], []
        for seed in seeds:
            rows = few_shot(train, k, seed)
            m = InsightModel.train(
                SEMEVAL_THEMES, [to_example(r) for r in rows], seed_sentiment(), encoder
            )
            f1s.append(micro_f1(m, test))
            pols.append(polarity_accuracy(m, test))
        out[f"few_shot_{k}"] = {
            "category_f1": round(sum(f1s) / len(f1s), 1),
            "polarity_accuracy_4class": round(sum(pols) / len(pols), 1),
            "seeds": len(seeds),
        }
    return out


def mams(data: Path, encoder: str = WORDS) -> dict[str, Any]:
    train = load(data / "mams_acsa" / "train.jsonl")
    test = load(data / "mams_acsa" / "test.jsonl")
    cats = sorted({c["category"] for r in train for c in r["categories"]})
    specs = [ThemeSpec(c, c) for c in cats]
    t0 = time.perf_counter()
    model = InsightModel.train(specs, [to_example(r) for r in train], seed_sentiment(), encoder)
    return {
        "train_seconds": round(time.perf_counter() - t0, 1),
        "polarity_accuracy": round(polarity_accuracy(model, test), 1),
        "category_f1": round(micro_f1(model, test), 1),
    }


def banking(data: Path, seed: int, encoder: str = WORDS) -> dict[str, Any]:
    train = load(data / "banking77" / "train.jsonl")
    test = load(data / "banking77" / "test.jsonl")

    def label(row: dict[str, Any]) -> str:
        return str(row["categories"][0]["category"])

    intents = sorted({label(r) for r in train})
    specs = [ThemeSpec(i, i.replace("_", " ")) for i in intents]
    texts = [r["text"] for r in test]
    gold = [label(r) for r in test]

    def accuracy(examples: list[tuple[str, str]]) -> float:
        model = ReasonModel(specs, encoder=encoder).fit(examples)
        pred = [p for p, _ in model.predict(texts)]
        return round(100.0 * sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 1)

    rng = random.Random(seed)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in train:
        by_intent[label(row)].append(row["text"])
    ten = [(t, i) for i, ts in by_intent.items() for t in rng.sample(ts, min(10, len(ts)))]
    return {
        "accuracy_full": accuracy([(r["text"], label(r)) for r in train]),
        "accuracy_10_per_reason": accuracy(ten),
    }


_worker_model: InsightModel | None = None


def _init_worker(blob: bytes) -> None:
    global _worker_model
    _worker_model = InsightModel.loads(blob)


def _analyse_chunk(texts: list[str]) -> int:
    assert _worker_model is not None
    return len(_worker_model.analyse(texts))


def distinct_comments(data: Path, n: int = 4000) -> list[str]:
    """Realistic comment lengths, each comment once (repeats would flatter any cache)."""
    texts: list[str] = []
    for name in (
        "mams_acsa/train",
        "mams_acsa/dev",
        "mams_acsa/test",
        "semeval2014_restaurants/test",
    ):
        texts.extend(r["text"] for r in load(data / f"{name}.jsonl"))
    return list(dict.fromkeys(texts))[:n]


def extra(data: Path, seeds: list[int], texts: list[str], batch: int) -> dict[str, Any]:
    """The same accuracy runs with the sentence transformer, and its speed on one process."""
    if not available(MINILM):
        return {"encoder": MINILM, "status": "not installed"}
    t0 = time.perf_counter()
    enc = encoder(MINILM)
    load_seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"encoder": MINILM, "status": "installed"}
    out["semeval"] = semeval(data, seeds, MINILM)
    out["mams"] = mams(data, MINILM)
    out["banking77"] = banking(data, seed=1, encoder=MINILM)
    model = _semeval_models[MINILM]
    assert isinstance(enc, MiniLM)
    enc.cache.clear()  # the accuracy runs encoded some of these comments already
    sample = texts[:1000]
    t0 = time.perf_counter()
    for i in range(0, len(sample), batch):
        model.analyse(sample[i : i + batch])
    rate = len(sample) / (time.perf_counter() - t0)
    blob = model.dumps()
    t0 = time.perf_counter()
    InsightModel.loads(blob).analyse(["warm up the model"])
    out["speed"] = {
        "comments_per_second_1_process_batch": round(rate),
        "encoder_load_seconds": round(load_seconds, 2),
        "model_load_seconds": round(time.perf_counter() - t0, 2),
        "model_bytes": len(blob),
        "distinct_comments": len(sample),
    }
    return out


def _rates(model: InsightModel, texts: list[str], batch: int) -> dict[str, Any]:
    blob = model.dumps()
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.analyse(texts[i : i + batch])
    one_core = len(texts) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for text in texts[:500]:
        model.analyse([text])
    one_at_a_time = 500 / (time.perf_counter() - t0)
    chunks = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    with get_context("fork").Pool(2, initializer=_init_worker, initargs=(blob,)) as pool:
        pool.map(_analyse_chunk, [texts[:50], texts[50:100]])  # warm both workers
        t0 = time.perf_counter()
        done = sum(pool.map(_analyse_chunk, chunks))
        two_cores = done / (time.perf_counter() - t0)
    return {
        "comments_per_second_2_cores": round(two_cores),
        "comments_per_second_1_core_batch": round(one_core),
        "comments_per_second_one_call_per_comment": round(one_at_a_time),
        "model_bytes": len(blob),
    }


def throughput(data: Path, batch: int = 500) -> dict[str, Any]:
    """Theme + sentiment per comment, in batches of `batch` comments per call (as the
    backfill command and the benchmark call it), on the SemEval model and on the default
    model every organisation starts with."""
    from beacon.insights.default import DEFAULT_FILE, default_model

    load_before = os.getloadavg()
    train = load(data / "semeval2014_restaurants" / "train.jsonl")
    texts = distinct_comments(data)
    model = InsightModel.train(SEMEVAL_THEMES, [to_example(r) for r in train], seed_sentiment())
    blob = model.dumps()
    rates = _rates(model, texts, batch)
    t0 = time.perf_counter()
    default = default_model()
    default_load = time.perf_counter() - t0
    default_rates = _rates(default, texts, batch)
    default_rates["load_seconds_from_package_file"] = round(default_load, 3)
    default_rates["package_file_bytes"] = (
        DEFAULT_FILE.stat().st_size if DEFAULT_FILE.exists() else 0
    )
    path = ROOT / "benchmarks" / "results" / "_insights_model.pkl"
    path.write_bytes(blob)
    try:
        probe = subprocess.run(
            [sys.executable, __file__, "--probe", str(path)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "beacon.settings.test"},
        )
    finally:
        path.unlink()
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    return {
        **rates,
        **loaded,
        "batch": batch,
        "distinct_comments": len(texts),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "default_model": default_rates,
    }


def peak_rss_mb() -> float:
    """This process's own peak RSS. Linux carries ru_maxrss over exec from the forked copy
    of the parent, so a probe started by a big benchmark process would report the parent's
    size; the memory map's high-water mark (VmHWM) starts afresh at exec."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(path: str) -> None:
    """Fresh process: Django set up as in a worker, then the model loaded and used."""
    import django

    django.setup()
    t0 = time.perf_counter()
    model = InsightModel.loads(Path(path).read_bytes())
    model.analyse(["warm up the model"])
    load_seconds = time.perf_counter() - t0
    model.analyse(["The food was great but the waiter was rude."] * 1000)
    rss_mb = peak_rss_mb()
    print(
        json.dumps({"model_load_seconds": round(load_seconds, 2), "worker_rss_mb": round(rss_mb)})
    )


TARGETS: list[tuple[str, str, float, str]] = [
    ("SemEval-2014 category micro-F1 (full train)", "semeval.category_f1", 88.6, ">="),
    ("SemEval-2014 polarity accuracy, 4 classes", "semeval.polarity_accuracy_4class", 83.0, ">="),
    ("SemEval-2014 F1, 5 examples/category", "semeval.few_shot_5.category_f1", 0.0, "info"),
    ("SemEval-2014 F1, 10 examples/category", "semeval.few_shot_10.category_f1", 75.0, ">="),
    ("SemEval-2014 F1, 25 examples/category", "semeval.few_shot_25.category_f1", 0.0, "info"),
    ("MAMS-ACSA polarity accuracy", "mams.polarity_accuracy", 75.0, ">="),
    ("banking77 accuracy (full train)", "banking77.accuracy_full", 90.0, ">="),
    ("banking77 accuracy (10 per reason)", "banking77.accuracy_10_per_reason", 75.0, ">="),
    ("Throughput, comments/s on 2 cores", "speed.comments_per_second_2_cores", 1000, ">="),
    ("Model load, seconds", "speed.model_load_seconds", 3.0, "<="),
    ("Worker memory, MB", "speed.worker_rss_mb", 500, "<="),
]


def lookup(results: dict[str, Any], dotted: str) -> Any:
    value: Any = results
    for part in dotted.split("."):
        value = value[part]
    return value


def report(results: dict[str, Any], title: str) -> None:
    print(f"\n{title}\n{'measure':48} {'result':>10} {'target':>10}  met")
    for label, key, target, how in TARGETS:
        try:
            value = lookup(results, key)
        except KeyError:
            continue
        if how == "info":
            print(f"{label:48} {value:>10} {'-':>10}")
            continue
        met = value >= target if how == ">=" else value <= target
        print(f"{label:48} {value:>10} {how + str(target):>10}  {'yes' if met else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=str(ROOT.parent / "shared/data/feedback"))
    parser.add_argument("--quick", action="store_true", help="one seed for the few-shot runs")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only",
        choices=["speed", "extra"],
        help="measure only this part; the other figures are kept from the last results file",
    )
    parser.add_argument("--batch", type=int, default=500, help="comments per model call")
    parser.add_argument(
        "--no-extra",
        action="store_true",
        help="skip the sentence-transformer runs even when the extra is installed",
    )
    args = parser.parse_args()
    if args.probe:
        probe(args.probe)
        return
    data = Path(args.data_dir)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    seeds = [1] if args.quick else [1, 2, 3]
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    out = ROOT / "benchmarks" / "results" / "insights.json"
    if args.only == "extra":
        measured = {"transformers": extra(data, seeds, distinct_comments(data), args.batch)}
    elif args.only == "speed":
        measured = {"speed": throughput(data, args.batch)}
    else:
        measured = {
            "semeval": semeval(data, seeds),
            "mams": mams(data),
            "banking77": banking(data, seed=1),
            "transformers": (
                {"encoder": MINILM, "status": "skipped (--no-extra)"}
                if args.no_extra
                else extra(data, seeds, distinct_comments(data), args.batch)
            ),
        }
        measured["speed"] = throughput(data, args.batch)
    if args.only and out.exists():
        # Read only now: another part may have been measured meanwhile.
        kept = json.loads(out.read_text(encoding="utf-8"))
        keep = ("semeval", "mams", "banking77", "transformers", "speed", "accuracy_date")
        results.update({k: kept[k] for k in keep if k in kept})
        results.setdefault("accuracy_date", kept.get("date"))
    results.update(measured)
    results["seconds"] = round(time.perf_counter() - started)
    report(results, "default install (word vectors)")
    transformers = results.get("transformers", {})
    if transformers.get("status") == "installed":
        report({**transformers, "speed": {}}, "optional extra beacon[transformers] (MiniLM)")
        rate = transformers["speed"]["comments_per_second_1_process_batch"]
        print(f"{'Throughput, comments/s on 1 process (extra)':48} {rate:>10}")
    else:
        print(f"optional extra beacon[transformers]: {transformers.get('status', 'not measured')}")
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""recommend_gifts evals, as a client sees them (JSON-RPC over HTTP), printed as Markdown.

    gifts.py --url http://127.0.0.1:7070/rpc --psql "psql URL" [--relevance] [--simulate]

--relevance: the recipient-style requests of evals/data/gift_judgements.jsonl (graded labels),
    answered by recommend_gifts (the sentence alone; the sentence with the recipient and the
    occasion as an agent captures them; with and without diversity) beside search_products
    on the same sentence with the same budget. nDCG@10 (gains 2^grade - 1), precision@10
    (grade >= 1), recall@10, MRR of the first grade-2 result, intra-list diversity, p50/p95.

--simulate: simulated shoppers with hidden tastes. Each shopper loves two categories: their
    taste is the mean embedding of those categories' products, and every product's appeal is
    its rank by cosine to that taste (top 10% of the catalog: click 0.5, buy 0.35 of clicks;
    next 15%: click 0.2, buy 0.1; the rest: click 0.02, buy 0.02). Shoppers make vague
    requests ("a birthday present") over several sessions; recommend_gifts enrols each in the
    server's experiment (arms: baseline = popularity, personalised, personalised + diversity),
    and clicks and purchases go back through record_event with the request_id, so taste
    vectors and popularity learn as in production. Reported per arm: CTR, conversion,
    intra-list diversity, catalog coverage, novelty (mean -log2 of the share of shoppers who
    clicked the item), and what experiment_report concludes.
"""
import argparse
import json
import math
import pathlib
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "search"))
from relevance import Rpc, load, metrics, percentile  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
VAGUE = ["a birthday present", "a gift idea", "something nice", "a little surprise",
         "a christmas present", "a thank-you gift", "something they would enjoy"]


def timed(rpc, method, params):
    start = time.perf_counter()
    out = rpc.call(method, params)
    return out, (time.perf_counter() - start) * 1000


def ild(vectors):
    n = len(vectors)
    if n < 2:
        return 0.0
    total = sum(1 - cos(vectors[i], vectors[j]) for i in range(n) for j in range(i + 1, n))
    return total / (n * (n - 1) / 2)


def cos(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def embeddings(psql):
    out = subprocess.run(psql + ["-AtX", "-F", "\t", "-c",
                                 "SELECT product_id, embedding FROM product_embeddings e "
                                 "JOIN embedding_models m ON m.name = e.model AND m.is_active"],
                         check=True, capture_output=True, text=True).stdout
    vectors = {}
    for line in out.splitlines():
        pid, vec = line.split("\t")
        vectors[pid] = [float(x) for x in vec.strip("[]").split(",")]
    return vectors


def relevance(rpc, vectors):
    requests = load("gift_judgements.jsonl")
    configs = [
        ("search_products (hybrid), the sentence", "search"),
        ("recommend_gifts, the sentence", "context"),
        ("recommend_gifts, sentence + recipient + occasion", "structured"),
        ("recommend_gifts, structured, diversity 0", "structured0"),
    ]
    print(f"### Gift requests ({len(requests)} recipient-style requests, graded labels)\n")
    print("| configuration | nDCG@10 | P@5 | P@10 | recall@10 | MRR | ILD | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, kind in configs:
        rows, times, diversity = [], [], []
        for phase in range(2):  # phase 0 warms up (model, caches, plans)
            for q in requests:
                budget = {"max": q["budget"]} if q["budget"] else None
                if kind == "search":
                    flt = {"in_stock": True}
                    if q["budget"]:
                        flt["max_price"] = q["budget"]
                    out, ms = timed(rpc, "search_products", {"query": q["text"], "limit": 10, "filters": flt})
                    ranked = [h["id"] for h in out["results"]]
                else:
                    params = {"context": q["text"], "limit": 10, "budget": budget}
                    if kind.startswith("structured"):
                        params["occasion"] = q["occasion"]
                        params["recipient"] = q["recipient"]
                    if kind == "structured0":
                        params["diversity"] = 0
                    out, ms = timed(rpc, "recommend_gifts", params)
                    ranked = [h["id"] for h in out["recommendations"]]
                if phase:
                    rows.append(metrics(ranked, q["judgements"]))
                    times.append(ms)
                    diversity.append(ild([vectors[i] for i in ranked if i in vectors]))
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
        print(f"| {name} | {mean['ndcg10']:.3f} | {mean['p5']:.3f} | {mean['p10']:.3f} | {mean['r10']:.3f} | "
              f"{mean['mrr']:.3f} | {sum(diversity) / len(diversity):.3f} | "
              f"{percentile(times, 0.5):.1f} | {percentile(times, 0.95):.1f} |")
    print()


def base(pid):
    """The demo product an edition (`<id>-eN`) copies; a demo product is its own."""
    return re.sub(r"-e[0-9]+$", "", pid)


class Shopper:
    """A shopper's appeal tiers are computed over the demo products; an edition appeals as
    much as the product it copies."""

    def __init__(self, uid, loves, vectors, rng):
        self.uid = uid
        self.loves = loves
        # Centred on the catalog's mean: every MiniLM product vector shares a common
        # direction, and without centring the "taste" would favour the same central products
        # for everyone rather than the shopper's two categories.
        demo = [pid for pid in vectors if base(pid) == pid]
        dims = len(vectors[demo[0]])
        mean = [sum(vectors[pid][d] for pid in demo) / len(demo) for d in range(dims)]
        centred = {pid: [x - m for x, m in zip(vectors[pid], mean)] for pid in demo}
        taste = [0.0] * dims
        for pid in demo:
            if CATEGORY.get(pid) in loves:
                taste = [t + x for t, x in zip(taste, centred[pid])]
        ranked = sorted(demo, key=lambda pid: -cos(taste, centred[pid]))
        n = len(ranked)
        self.tier = {pid: (0 if i < 0.10 * n else 1 if i < 0.25 * n else 2) for i, pid in enumerate(ranked)}
        self.rng = rng

    def react(self, pid):
        tier = self.tier.get(base(pid), 2)
        click = (0.5, 0.2, 0.02)[tier]
        buy = (0.35, 0.1, 0.02)[tier]
        clicked = self.rng.random() < click
        return clicked, clicked and self.rng.random() < buy


CATEGORY = {}


def simulate(rpc, vectors, shoppers, sessions, limit, seed):
    rng = random.Random(seed)
    categories = sorted(set(CATEGORY.values()))
    arms = {}
    clicked_by = {}
    for u in range(shoppers):
        shopper = Shopper(f"sim-{seed}-{u}", rng.sample(categories, 2), vectors, random.Random(rng.random()))
        for s in range(sessions):
            out = rpc.call("recommend_gifts", {"user_id": shopper.uid, "context": rng.choice(VAGUE),
                                               "limit": limit})
            arm = out["experiment"]["arm"]
            a = arms.setdefault(arm, {"calls": 0, "shown": 0, "clicks": 0, "buys": 0, "ild": [], "items": set(),
                                      "clicked": [], "by_session": [[0, 0] for _ in range(sessions)]})
            a["calls"] += 1
            a["ild"].append(out["diversity"])
            for rec in out["recommendations"]:
                pid = rec["id"]
                a["shown"] += 1
                a["items"].add(pid)
                a["by_session"][s][0] += 1
                clicked, bought = shopper.react(pid)
                if clicked:
                    a["clicks"] += 1
                    a["by_session"][s][1] += 1
                    a["clicked"].append(pid)
                    clicked_by.setdefault(pid, set()).add(shopper.uid)
                    rpc.call("record_event", {"user_id": shopper.uid, "product_id": pid, "kind": "click",
                                              "request_id": out["request_id"], "experiment_arm": arm})
                if bought:
                    a["buys"] += 1
                    rpc.call("record_event", {"user_id": shopper.uid, "product_id": pid, "kind": "purchase",
                                              "request_id": out["request_id"], "experiment_arm": arm})
    print(f"### Simulated shoppers ({shoppers} shoppers x {sessions} sessions, {limit} gifts per answer, "
          f"{len(vectors)} products)\n")
    print("| arm | shoppers' answers | impressions | CTR | conversion | intra-list diversity | catalog coverage | novelty (bits) |")
    print("|---|---|---|---|---|---|---|---|")
    for arm in sorted(arms):
        a = arms[arm]
        novelty = [-math.log2((len(clicked_by.get(pid, ())) + 1) / (shoppers + 1)) for pid in a["items"]]
        print(f"| {arm} | {a['calls']} | {a['shown']} | {a['clicks'] / a['shown']:.3f} | {a['buys'] / a['shown']:.4f} | "
              f"{sum(a['ild']) / len(a['ild']):.3f} | {len(a['items']) / len(vectors):.3f} | "
              f"{sum(novelty) / max(1, len(novelty)):.2f} |")
    print()
    print("CTR by session (shoppers learn nothing; the recommender learns from their clicks):\n")
    print("| arm | " + " | ".join(f"session {i + 1}" for i in range(sessions)) + " |")
    print("|---|" + "---|" * sessions)
    for arm in sorted(arms):
        cells = [f"{c / n:.3f}" if n else "-" for n, c in arms[arm]["by_session"]]
        print(f"| {arm} | " + " | ".join(cells) + " |")
    print()
    report = rpc.call("experiment_report", {})
    print(f"experiment_report ({report['experiment']}, baseline {report['baseline']}):\n")
    print("| arm | impressions | clicks | CTR [95% CI] | conversion | lift | p |")
    print("|---|---|---|---|---|---|---|")
    for a in report["arms"]:
        lift = "-" if a["ctr_lift"] is None else f"{100 * a['ctr_lift']:+.0f}%"
        p = "-" if a["ctr_p_value"] is None else f"{a['ctr_p_value']:.2g}"
        print(f"| {a['arm']} | {a['impressions']} | {a['clicks']} | {100 * a['ctr']['value']:.1f}% "
              f"[{100 * a['ctr']['low']:.1f}, {100 * a['ctr']['high']:.1f}] | {100 * a['conversion_rate']['value']:.2f}% | "
              f"{lift} | {p} |")
    print(f"\nConclusion: {report['conclusion']}\n")
    personalised = [a for a in report["arms"] if a["arm"].startswith("personalised")]
    if not all(a["significant"] and a["ctr"]["value"] > next(b for b in report["arms"] if b["arm"] == report["baseline"])["ctr"]["value"]
               for a in personalised):
        sys.exit("personalised arms did not clearly beat the baseline in experiment_report")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--psql", required=True, help="psql command line for the eval database")
    ap.add_argument("--relevance", action="store_true")
    ap.add_argument("--simulate", action="store_true")
    ap.add_argument("--shoppers", type=int, default=240)
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rpc = Rpc(args.url)
    vectors = embeddings(args.psql.split())
    for line in (ROOT / "evals/data/demo_catalog.jsonl").read_text().splitlines():
        p = json.loads(line)
        CATEGORY[p["id"]] = p["category"]
    out = subprocess.run(args.psql.split() + ["-AtX", "-F", "\t", "-c", "SELECT id, category FROM products"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        pid, cat = line.split("\t")
        CATEGORY[pid] = cat
    if args.relevance:
        relevance(rpc, vectors)
    if args.simulate:
        simulate(rpc, vectors, args.shoppers, args.sessions, args.limit, args.seed)


if __name__ == "__main__":
    main()

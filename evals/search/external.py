#!/usr/bin/env python3
"""Relevance of search_products and recommend_gifts on a public catalog giftvec did not write
(evals/external), as a client sees it (JSON-RPC over HTTP), printed as Markdown tables.

    external.py --url http://127.0.0.1:7070/rpc --catalog DIR/vendure.jsonl \
                --requests evals/external/vendure.requests.jsonl [--name vendure]

Each request is judged by rules written before any tuning (evals/external/*.requests.jsonl):
grade 2 when the product matches `relevant` (one of the shop's own categories, or a title
pattern), 1 when it matches `related`, 0 otherwise — and 0 whatever it matches when it breaks
a constraint the request states (`max_price`, `min_price`, `not_title`). Requests with an odd
number are the tuning half; the even ones are held out, and only they are printed for a
configuration whose parameters were tuned.

Metrics: precision@5 (grade >= 1), nDCG@10 (gains 2^grade - 1), MRR of the first grade-2
result, zero-result rate.
"""
import argparse
import json
import math
import re
import statistics

from relevance import Rpc


def matches(rule, product):
    if not rule:
        return False
    cats = set(product.get("attributes", {}).get("shop_categories", []))
    if cats & set(rule.get("cats", [])) or product["category"] in rule.get("category", []):
        return True
    return bool(rule.get("title")) and re.search(rule["title"], product["title"], re.I) is not None


def grade(request, product):
    price = product["price"]
    if "max_price" in request and price > request["max_price"]:
        return 0
    if "min_price" in request and price < request["min_price"]:
        return 0
    if "not_title" in request and re.search(request["not_title"], product["title"], re.I):
        return 0
    if matches(request["relevant"], product):
        return 2
    return 1 if matches(request.get("related"), product) else 0


def metrics(ranked, judged):
    gains = [judged.get(pid, 0) for pid in ranked]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:10]))
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    first = next((i for i, g in enumerate(gains) if g == 2), None)
    return {
        "p5": sum(1 for g in gains[:5] if g >= 1) / 5,
        "ndcg10": dcg / idcg if idcg else 0.0,
        "mrr": 1 / (first + 1) if first is not None else 0.0,
        "zero": 1.0 if not ranked else 0.0,
    }


def run(rpc, requests, call):
    rows = [metrics(call(r), r["judged"]) for r in requests]
    return {k: statistics.mean(row[k] for row in rows) for k in rows[0]}


def search(rpc, extra):
    def call(r):
        out = rpc.call("search_products", {"query": r["query"], "limit": 10, **extra})
        return [x["id"] for x in out["results"]]
    return call


def recommend(rpc, extra):
    def call(r):
        out = rpc.call("recommend_gifts", {"context": r["query"], "limit": 10, **extra})
        return [x["id"] for x in out["recommendations"]]
    return call


# (name, tool call, whether its parameters were tuned on this project's data). "Before" is
# giftvec's ranking before query understanding and the category vote (the request as written,
# keyword weight 0.3, no vote).
# The fusion before BM25: ts_rank keyword scores, plain rank fusion, keyword weight 0.5, k 10.
PREVIOUS = {"keyword_scorer": "ts_rank", "keyword_evidence": 0, "keyword_weight": 0.5, "rrf_k": 10}
TS_RANK = {"keyword_scorer": "ts_rank"}
BEFORE = {"interpret": False, "fusion": {**PREVIOUS, "keyword_weight": 0.3, "category_vote": 0}}
CONFIGURATIONS = [
    ("keyword only, ts_rank (as written)", lambda rpc: search(rpc, {"mode": "keyword", "interpret": False, "fusion": TS_RANK}), False),
    ("keyword only, BM25 (as written)", lambda rpc: search(rpc, {"mode": "keyword", "interpret": False}), True),
    ("dense only (as written)", lambda rpc: search(rpc, {"mode": "semantic", "interpret": False}), False),
    ("hybrid before", lambda rpc: search(rpc, BEFORE), True),
    ("previous default (ts_rank, + query understanding + vote)", lambda rpc: search(rpc, {"fusion": PREVIOUS}), True),
    ("previous default with BM25 for ts_rank", lambda rpc: search(rpc, {"fusion": {**PREVIOUS, "keyword_scorer": "bm25"}}), True),
    ("new fusion with ts_rank for BM25", lambda rpc: search(rpc, {"fusion": TS_RANK}), True),
    ("new fusion, plain RRF (no evidence weight)", lambda rpc: search(rpc, {"fusion": {"keyword_evidence": 0}}), True),
    ("dense only + query understanding", lambda rpc: search(rpc, {"mode": "semantic"}), False),
    ("new fusion, no category vote", lambda rpc: search(rpc, {"fusion": {"category_vote": 0}}), True),
    ("hybrid + category vote (as written)", lambda rpc: search(rpc, {"interpret": False}), True),
    ("search_products default", lambda rpc: search(rpc, {}), True),
    ("recommend_gifts, context as written", lambda rpc: recommend(rpc, {"interpret": False}), True),
    ("recommend_gifts default", lambda rpc: recommend(rpc, {}), True),
]


# The grid `--sweep` walks on the tuning half (keyword weight, evidence exponent, BM25 title
# weight and k1; everything else at its default).
SWEEP = [
    {"keyword_weight": w, "keyword_evidence": e, "field_weights": {"title": t}, "bm25_k1": k1}
    for w in (0.3, 0.5, 0.8, 1.2)
    for e in (0, 0.5, 1, 2)
    for t in (1.5, 3)
    for k1 in (0.8, 1.2)
]


def sweep(rpc, tune):
    print("| keyword_weight | keyword_evidence | title weight | k1 | P@5 | nDCG@10 | MRR |")
    print("|---|---|---|---|---|---|---|")
    for fusion in SWEEP:
        m = run(rpc, tune, search(rpc, {"fusion": fusion}))
        print(f"| {fusion['keyword_weight']} | {fusion['keyword_evidence']} | "
              f"{fusion['field_weights']['title']} | {fusion['bm25_k1']} | "
              f"{m['p5']:.3f} | {m['ndcg10']:.3f} | {m['mrr']:.3f} |")
    print()


def dump(rpc, tune, by_id):
    for tool, call in [("search_products", search(rpc, {})), ("recommend_gifts", recommend(rpc, {}))]:
        print(f"### {tool}: tuning-half requests with P@5 < 1\n")
        for r in tune:
            ranked = call(r)
            m = metrics(ranked, r["judged"])
            if m["p5"] >= 1:
                continue
            print(f"- {r['id']} {r['query']!r} P@5 {m['p5']:.1f} (qualifying: {len(r['judged'])})")
            for pid in ranked[:5]:
                p = by_id[pid]
                print(f"    {r['judged'].get(pid, 0)} {p['title']} [{p['category']}] {p['price']}")
        print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--requests", required=True)
    ap.add_argument("--name", default="external")
    ap.add_argument("--untuned", action="store_true",
                    help="the requests were never used for tuning: report them all as held out")
    ap.add_argument("--sweep", action="store_true", help="the fusion grid on the tuning half only")
    ap.add_argument("--dump-tuning", action="store_true",
                    help="the tuning half's misses: each request whose default search P@5 is below 1, "
                         "with its top 5 and their grades (for reading failures, never the held-out half)")
    ap.add_argument("--recommend-tuning", action="store_true",
                    help="recommend_gifts default on the tuning half only (for weight sweeps)")
    args = ap.parse_args()
    rpc = Rpc(args.url)
    products = [json.loads(l) for l in open(args.catalog, encoding="utf-8") if l.strip()]
    requests = [json.loads(l) for l in open(args.requests, encoding="utf-8") if l.strip()]
    for r in requests:
        r["judged"] = {p["id"]: g for p in products if (g := grade(r, p))}
    if args.untuned:
        # Never used to choose a parameter: every request is held out.
        held, tune = requests, []
    else:
        held = [r for r in requests if int(r["id"][-2:]) % 2 == 0]
        tune = [r for r in requests if int(r["id"][-2:]) % 2 == 1]
    print(f"## {args.name}: {len(products)} products, {len(requests)} gift requests "
          f"({len(held)} held out, {len(tune)} tuning)\n")
    if args.sweep:
        return sweep(rpc, tune)
    if args.dump_tuning:
        return dump(rpc, tune, {p["id"]: p for p in products})
    if args.recommend_tuning:
        m = run(rpc, tune, recommend(rpc, {}))
        return print(f"| recommend_gifts default | tuning | {m['p5']:.3f} | {m['ndcg10']:.3f} | {m['mrr']:.3f} |")
    print("| configuration | half | P@5 | nDCG@10 | MRR | zero-result |")
    print("|---|---|---|---|---|---|")
    # What a perfect ranking reaches: P@5 stays below 1 where fewer than 5 products qualify.
    ideal = lambda r: sorted(r["judged"], key=lambda pid: (-r["judged"][pid], pid))
    m = run(rpc, held, ideal)
    print(f"| ideal ranking (ceiling) | held-out | {m['p5']:.3f} | {m['ndcg10']:.3f} | {m['mrr']:.3f} | {m['zero']:.3f} |")
    for name, make, tuned in CONFIGURATIONS:
        call = make(rpc)
        for half, subset in [("held-out", held)] + ([] if tuned or args.untuned else [("all", requests)]):
            m = run(rpc, subset, call)
            print(f"| {name} | {half} | {m['p5']:.3f} | {m['ndcg10']:.3f} | {m['mrr']:.3f} | {m['zero']:.3f} |")
    print()


if __name__ == "__main__":
    main()

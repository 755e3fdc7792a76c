#!/usr/bin/env python3
"""p50/p95/p99 of tool calls over JSON-RPC (one client, sequential, after a warm-up), as a
Markdown table. Used by evals/scale/run.

    latency.py --url http://127.0.0.1:7070/rpc --calls 400 --products 100000
"""
import argparse
import json
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "search"))
from relevance import Rpc, load, percentile  # noqa: E402


def measure(rpc, method, params_list, calls):
    timings = []
    for phase in range(2):  # phase 0 warms up
        for i in range(calls):
            params = params_list[i % len(params_list)]
            start = time.perf_counter()
            out = rpc.call(method, params)
            if phase:
                timings.append((time.perf_counter() - start) * 1000)
            listed = out.get("results", out.get("recommendations"))
            assert listed or params.get("mode") == "keyword", (method, params)
    return timings


def demo_ids():
    path = pathlib.Path(__file__).resolve().parents[2] / "evals/data/demo_catalog.jsonl"
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--products", type=int, default=100000)
    args = ap.parse_args()
    rpc = Rpc(args.url)
    rng = random.Random(7)
    queries = [q["query"] for q in load("search_judgements.jsonl")]
    gifts = load("gift_judgements.jsonl")
    # Twenty shoppers with a short history, so that personalised calls read a taste vector.
    for u in range(20):
        for pid in rng.sample(demo_ids(), 5):
            rpc.call("record_event", {"user_id": f"shopper-{u}", "product_id": pid, "kind": "like"})
    demo = demo_ids()
    editions = (args.products - len(demo)) // len(demo)
    ids = [rng.choice(demo) + (f"-e{rng.randrange(editions)}" if editions else "") for _ in range(args.calls)]
    rows = [
        ("similar_products, by product id", "similar_products", [{"product_id": i, "limit": 10} for i in ids]),
        ("similar_products, by id, in stock under $50", "similar_products",
         [{"product_id": i, "limit": 10, "filters": {"in_stock": True, "max_price": 50}} for i in ids]),
        ("search_products, hybrid", "search_products", [{"query": q, "limit": 10} for q in queries]),
        ("search_products, semantic", "search_products", [{"query": q, "mode": "semantic", "limit": 10} for q in queries]),
        ("search_products, keyword", "search_products", [{"query": q, "mode": "keyword", "limit": 10} for q in queries]),
        ("search_products, hybrid, under $40", "search_products",
         [{"query": q, "limit": 10, "filters": {"max_price": 40}} for q in queries]),
        ("recommend_gifts, recipient + occasion + budget", "recommend_gifts",
         [{"context": g["text"], "occasion": g["occasion"], "recipient": g["recipient"],
           "budget": {"max": g["budget"]} if g["budget"] else None, "limit": 10} for g in gifts]),
        ("recommend_gifts, shopper with history, exploration 0.2", "recommend_gifts",
         [{"context": g["text"], "user_id": f"shopper-{i % 20}", "limit": 10, "exploration": 0.2}
          for i, g in enumerate(gifts)]),
    ]
    print("| tool call | calls | p50 ms | p95 ms | p99 ms | calls/s (one client) |")
    print("|---|---|---|---|---|---|")
    for name, method, params in rows:
        t = measure(rpc, method, params, args.calls)
        print(f"| {name} | {len(t)} | {percentile(t, 0.5):.1f} | {percentile(t, 0.95):.1f} | "
              f"{percentile(t, 0.99):.1f} | {1000 * len(t) / sum(t):.0f} |")


if __name__ == "__main__":
    main()

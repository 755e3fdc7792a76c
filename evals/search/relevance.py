#!/usr/bin/env python3
"""Relevance of `search_products` on the demo catalog, as a client sees it (JSON-RPC over
HTTP), printed as Markdown tables.

    relevance.py --url http://127.0.0.1:7070/rpc [--tune] [--personal]

Judgements: evals/data/search_judgements.jsonl (graded 0/1/2 per query and product; unlisted
products are 0). Each query is sent with its own filters, as an agent would send them.
Metrics (../shared/evals/README.md): nDCG@10 with gains 2^grade - 1, recall@10 and @100
(relevant = grade >= 1), MRR of the first grade-2 result, precision@5 and @10 (grade >= 1),
zero-result rate, and p50/p95 latency of a limit-10 call after a warm-up.
"""
import argparse
import json
import math
import pathlib
import statistics
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Rpc:
    def __init__(self, url):
        self.url = url
        self.next_id = 0

    def call(self, method, params):
        self.next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}).encode()
        req = urllib.request.Request(self.url, body, {"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            reply = json.load(resp)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]


def load(name):
    path = ROOT / "evals/data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def metrics(ranked, judged):
    gains = [judged.get(pid, 0) for pid in ranked]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:10]))
    ideal = sorted(judged.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = sum(1 for g in judged.values() if g >= 1)
    first = next((i for i, g in enumerate(gains) if g == 2), None)
    return {
        "ndcg10": dcg / idcg if idcg else 0.0,
        "r10": sum(1 for g in gains[:10] if g >= 1) / relevant if relevant else 0.0,
        "r100": sum(1 for g in gains[:100] if g >= 1) / relevant if relevant else 0.0,
        "mrr": 1 / (first + 1) if first is not None else 0.0,
        "p5": sum(1 for g in gains[:5] if g >= 1) / 5,
        "p10": sum(1 for g in gains[:10] if g >= 1) / 10,
        "zero": 1.0 if not ranked else 0.0,
    }


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(rpc, queries, extra, latency=True):
    """Mean metrics over the queries for one configuration (`extra` adds tool arguments)."""
    totals, notes = [], {"expanded": 0, "degraded": 0, "personalised": 0}
    for q in queries:
        params = {"query": q["query"], "limit": 100, "filters": q.get("filters", {}), **extra(q)}
        out = rpc.call("search_products", params)
        notes["expanded"] += bool(out.get("expansions"))
        notes["degraded"] += bool(out.get("degraded"))
        notes["personalised"] += bool(out.get("personalised"))
        totals.append(metrics([r["id"] for r in out["results"]], q["judgements"]))
    row = {k: statistics.mean(t[k] for t in totals) for k in totals[0]}
    row.update(notes)
    if latency:
        timings = []
        for rnd in range(2):  # round 0 warms up
            for q in queries:
                params = {"query": q["query"], "limit": 10, "filters": q.get("filters", {}), **extra(q)}
                start = time.perf_counter()
                rpc.call("search_products", params)
                if rnd:
                    timings.append((time.perf_counter() - start) * 1000)
        row["p50"], row["p95"] = percentile(timings, 0.5), percentile(timings, 0.95)
    return row


WEIGHTS = (0.1, 0.3, 0.5, 0.7)
HEADER = "| configuration | nDCG@10 | recall@10 | recall@100 | MRR | P@5 | P@10 | zero-result | p50 ms | p95 ms | notes |"


def print_row(name, row):
    notes = ", ".join(f"{k} {row[k]}" for k in ("expanded", "degraded", "personalised") if row.get(k))
    lat = f"{row['p50']:.1f} | {row['p95']:.1f}" if "p50" in row else "- | -"
    print(f"| {name} | {row['ndcg10']:.3f} | {row['r10']:.3f} | {row['r100']:.3f} | {row['mrr']:.3f} | "
          f"{row['p5']:.3f} | {row['p10']:.3f} | {row['zero']:.3f} | {lat} | {notes} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the sidecar's JSON-RPC endpoint")
    ap.add_argument("--tune", action="store_true", help="also sweep the hybrid fusion weights")
    ap.add_argument("--personal", action="store_true", help="also run the personalisation set")
    args = ap.parse_args()
    rpc = Rpc(args.url)
    queries = load("search_judgements.jsonl")

    print(f"## Product search relevance ({len(queries)} labelled gift queries, demo catalog)\n")
    print(HEADER)
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, extra in [
        ("keyword", lambda q: {"mode": "keyword"}),
        ("semantic", lambda q: {"mode": "semantic"}),
        ("hybrid (default)", lambda q: {"mode": "hybrid"}),
        ("hybrid + expansion", lambda q: {"mode": "hybrid", "expand": True}),
    ]:
        print_row(name, evaluate(rpc, queries, extra))

    if args.tune:
        print("\n## Hybrid fusion sweep (keyword weight w, RRF constant k; semantic weight 1)\n")
        print(HEADER)
        print("|---|---|---|---|---|---|---|---|---|---|")
        for k in (10, 30, 60):
            for w in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0):
                fusion = {"keyword_weight": w, "rrf_k": k}
                row = evaluate(rpc, queries, lambda q: {"mode": "hybrid", "fusion": fusion}, latency=False)
                print_row(f"w = {w}, k = {k}", row)

    if args.personal:
        personal = load("personal_judgements.jsonl")
        print(f"\n## Personalised re-rank ({len(personal)} ambiguous requests from users with a history)\n")
        print(HEADER)
        print("|---|---|---|---|---|---|---|---|---|---|")
        print_row("hybrid, anonymous", evaluate(rpc, personal, lambda q: {"mode": "hybrid"}))
        for w in WEIGHTS:
            print_row(f"hybrid, user_id, personal_weight {w}", evaluate(
                rpc, personal, lambda q: {"mode": "hybrid", "user_id": q["user_id"], "personal_weight": w}))
        print(f"\nThe cost when a shopper's taste does not fit the request: the {len(queries)} labelled "
              "requests, each sent with the user_id of a shopper who liked pet products.\n")
        print(HEADER)
        print("|---|---|---|---|---|---|---|---|---|---|")
        print_row("hybrid, anonymous", evaluate(rpc, queries, lambda q: {"mode": "hybrid"}, latency=False))
        for w in WEIGHTS:
            print_row(f"hybrid, pet lover's user_id, personal_weight {w}", evaluate(
                rpc, queries, lambda q: {"mode": "hybrid", "user_id": "shopper-pets", "personal_weight": w}, latency=False))


if __name__ == "__main__":
    main()

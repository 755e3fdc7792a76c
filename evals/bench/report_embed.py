#!/usr/bin/env python3
"""Prints giftvec's local embedder against sentence-transformers, from criterion's estimates
and st_embed.py's JSON, as a table with the ratio.

    report_embed.py CRITERION_DIR ST_JSON TEXTS_JSON
"""
import json
import pathlib
import sys


def mean_ns(path):
    return json.loads(path.read_text())["mean"]["point_estimate"]


def main():
    criterion = pathlib.Path(sys.argv[1])
    st = json.load(open(sys.argv[2]))
    texts = json.load(open(sys.argv[3], encoding="utf-8"))
    print(f"sentence-transformers {st['torch']} with {st['threads']} threads vs giftvec (candle)")
    print(f"{'texts':<6} {'batch':>5} {'giftvec texts/s':>16} {'PyTorch texts/s':>16} {'ratio':>6}")
    for length in ("short", "long"):
        for batch in (1, 8, 32):
            ns = mean_ns(criterion / "local_embed" / length / str(batch) / "new" / "estimates.json")
            ours = len(texts[length]) / (ns / 1e9)
            theirs = st["rates"][f"{length}/{batch}"]
            print(f"{length:<6} {batch:>5} {ours:>16.1f} {theirs:>16.1f} {ours / theirs:>6.2f}")
    hit = mean_ns(criterion / "l1_hit" / "new" / "estimates.json")
    print(f"L1 cache hit: {hit / 1000:.1f} µs per embed() call")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes N distinct gift products (JSON Lines) derived from the demo catalog: each demo
product in numbered editions with varied wording, so every embedded text is different (no
cache hits) and the token mix stays realistic. Used by tools/bench-backfill.

    synthetic_catalog.py N > catalog.jsonl
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLAVOURS = ["Classic", "Deluxe", "Travel", "Family", "Mini", "Pro", "Limited", "Eco", "Gift Set", "Signature"]


def main():
    n = int(sys.argv[1])
    demo = [json.loads(l) for l in (ROOT / "evals/data/demo_catalog.jsonl").read_text(encoding="utf-8").splitlines()]
    for i in range(n):
        base = demo[i % len(demo)]
        edition = i // len(demo)
        flavour = FLAVOURS[edition % len(FLAVOURS)]
        product = dict(base)
        product["id"] = f"{base['id']}-e{edition}"
        product["sku"] = f"{base['sku']}-E{edition}"
        product["title"] = f"{base['title']} ({flavour} edition {edition + 1})"
        product["description"] = f"{base['description']} {flavour} edition number {edition + 1}."
        product["price"] = round(base["price"] * (1 + (edition % 5) / 10), 2)
        print(json.dumps(product, ensure_ascii=False))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes embed_texts.json, the texts both embedding benchmarks use (giftvec's criterion bench
and the sentence-transformers one): {"short": [...], "long": [...]}. --check verifies that the
committed file is current.

short: gift requests as an agent would send them (about 10 tokens each).
long:  demo-catalog products in the form giftvec embeds them (giftvec_embedding_text: title,
       category, tags, description; about 50 tokens each).
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

SHORT = [
    "something for my dad who loves fishing under $50",
    "cozy gift for a bookworm",
    "birthday present for a 7 year old who likes dinosaurs",
    "anniversary gift for my wife, romantic",
    "gift for a coffee lover who has everything",
    "housewarming present under 40 dollars",
    "what to get a new mum",
    "gadget for a teenage gamer",
    "thank you gift for a teacher",
    "retirement present for a keen gardener",
    "stocking stuffers for a teenager",
    "experience gift for an adventurous couple",
    "secret santa idea under $25",
    "gift for a friend who just started yoga",
    "something relaxing for a stressed nurse",
    "present for a whisky fan",
]


def long_texts():
    catalog = ROOT / "evals" / "data" / "demo_catalog.jsonl"
    texts = []
    for line in catalog.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        parts = [p["title"], "Category: " + p["category"]]
        if p["tags"]:
            parts.append("Tags: " + ", ".join(p["tags"]))
        if p["description"]:
            parts.append(p["description"])
        texts.append("\n".join(parts))
    return texts


def main():
    out = pathlib.Path(__file__).with_suffix(".json")
    text = json.dumps({"short": SHORT * 4, "long": long_texts()[:64]}, ensure_ascii=False, indent=1) + "\n"
    if "--check" in sys.argv:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            sys.exit(f"{out.name} is stale: run python3 evals/bench/{pathlib.Path(__file__).name}")
        return
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

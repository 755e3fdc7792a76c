#!/usr/bin/env python3
"""Builds demo_catalog.jsonl from the hand-written sources in catalog/*.txt.

Each source file is one category: a header line `# <Category> — <who it is for>`, then one
product per line: `Title | price | tag, tag, ... | Description`. Ids are `<file>-<nnn>` in file
order, SKUs `GV-<FILE>-<nnn>`; prices are USD; about one product in twelve is out of stock
(chosen by a hash of its id, so the choice is stable). Run with --check to verify that the
committed JSONL matches the sources.
"""
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCES = HERE / "catalog"
OUTPUT = HERE / "demo_catalog.jsonl"


def products():
    for path in sorted(SOURCES.glob("*.txt")):
        slug = path.stem
        category = None
        n = 0
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            if line.startswith("# "):
                category = line[2:].split(" — ")[0].strip()
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 4 or category is None:
                sys.exit(f"{path.name}:{line_no}: expected 'Title | price | tags | Description'")
            title, price, tags, description = parts
            n += 1
            pid = f"{slug}-{n:03d}"
            digest = hashlib.sha256(pid.encode()).digest()
            yield {
                "id": pid,
                "sku": f"GV-{slug.upper()}-{n:03d}",
                "title": title,
                "description": description,
                "category": category,
                "tags": [t.strip() for t in tags.split(",") if t.strip()],
                "price": float(price),
                "currency": "USD",
                "in_stock": digest[0] % 12 != 0,
            }


def render():
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in products())


def main():
    text = render()
    if "--check" in sys.argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUTPUT.name} is stale: run python3 {pathlib.Path(__file__).name}")
        print(f"{OUTPUT.name} is up to date ({text.count(chr(10))} products)")
        return
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10))} products)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference vectors for the local embedder, computed with an independent implementation:
the Python sentence-transformers package (PyTorch) running all-MiniLM-L6-v2 from the same
weights (tools/fetch-model). Writes minilm_reference.json next to this file; the Rust tests
require cosine >= 0.999 between giftvec's vector and this one for every text.

    python3 -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers
    /tmp/st/bin/python tests/data/minilm_reference.py "$(tools/fetch-model | tail -n 1)"
"""
import json
import pathlib
import sys

from sentence_transformers import SentenceTransformer

TEXTS = [
    "espresso machine",
    "gift for a coffee lover",
    "something for my dad who loves fishing under $50",
    "cozy gift for a bookworm",
    "Telescopic Travel Fishing Rod and Reel Combo\nCategory: Fishing\nTags: fishing, rod, reel, travel, angler\nA carbon telescopic rod that collapses to 45 cm, with a spinning reel, for fishing on any trip.",
    "Home Espresso Machine with Steam Wand",
    "A hand-cranked grinder with ceramic burrs and 18 grind settings, from espresso-fine to French-press coarse.",
    "birthday present for a 7 year old who likes dinosaurs",
    "anniversary gift for my wife, romantic, around 100 euros",
    "Gärtnerhandschuhe aus Leder für Rosen",
    "cadeau pour une amoureuse du thé",
    "regalo para mi hermano gamer",
    "ギフト コーヒー",
    "🎁🎄 stocking stuffers!!!",
    "x",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "'; DROP TABLE products; --",
    "price: $19.99 (was $29.99) — 33% off",
    "new-parents survival kit; coffee + snacks + eye masks",
    "   leading and trailing   whitespace   ",
    "yoga mat",
    "whisky tasting set for a single malt fan",
    # Longer than the model's 256-token window: both sides must truncate the same way.
    " ".join(["A handwoven wool rug in muted earthy stripes for a calm living room."] * 30),
]


def main():
    model_dir = sys.argv[1]
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(TEXTS, normalize_embeddings=True, batch_size=8)
    out = pathlib.Path(__file__).with_suffix(".json")
    records = [{"text": t, "vector": [round(float(x), 7) for x in v]} for t, v in zip(TEXTS, vectors)]
    lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    out.write_text(f'{{"model": "all-MiniLM-L6-v2", "max_seq_length": {model.max_seq_length}, '
                   f'"texts": [\n{lines}\n]}}\n', encoding="utf-8")
    print(f"wrote {len(records)} reference vectors to {out}")


if __name__ == "__main__":
    main()

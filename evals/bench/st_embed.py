#!/usr/bin/env python3
"""sentence-transformers (PyTorch, CPU) on the same texts as giftvec's embedding bench:
texts per second for batch sizes 1, 8, 32, short and long. Prints JSON.

    st_embed.py TEXTS_JSON MODEL_DIR [THREADS]
"""
import json
import sys
import time

import torch
from sentence_transformers import SentenceTransformer


def rate(model, texts, batch, rounds=3):
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.encode(texts[i:i + batch], batch_size=batch, normalize_embeddings=True)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def main():
    texts = json.load(open(sys.argv[1], encoding="utf-8"))
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else torch.get_num_threads()
    torch.set_num_threads(threads)
    model = SentenceTransformer(sys.argv[2], device="cpu")
    model.encode(texts["short"][:8])  # warm-up
    out = {"threads": threads, "torch": torch.__version__, "rates": {}}
    for length in ("short", "long"):
        for batch in (1, 8, 32):
            out["rates"][f"{length}/{batch}"] = rate(model, texts[length], batch)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a Google Merchant Center TSV feed of N generated gift products (deterministic:
the same N gives the same file), for the import benchmark (evals/import/run).

    gen_merchant_feed.py N OUT.tsv
"""
import random
import sys

KINDS = [
    ("Kitchen > Coffee > Grinders", "Burr Grinder", 25, 120),
    ("Kitchen > Cookware > Dutch Ovens", "Cast Iron Dutch Oven", 40, 250),
    ("Books > Cooking", "Cookbook", 12, 45),
    ("Toys > Building Toys", "Marble Run", 20, 80),
    ("Outdoor > Camping > Drinkware", "Camping Mug", 10, 35),
    ("Home > Decor > Candles", "Scented Candle", 8, 40),
    ("Garden > Tools", "Pruning Shears", 15, 60),
    ("Sports > Fishing > Reels", "Spinning Reel", 30, 200),
]
ADJECTIVES = ["Classic", "Compact", "Deluxe", "Handmade", "Travel", "Vintage", "Modern", "Mini"]
COLOURS = ["red", "blue", "green", "black", "white", "oak", "steel", "sand"]
HEADER = ["id", "title", "description", "link", "image_link", "availability", "price",
          "sale_price", "brand", "gtin", "condition", "google_product_category", "product_type",
          "color", "item_group_id"]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261202)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\t".join(HEADER) + "\n")
        for i in range(n):
            path, noun, low, high = KINDS[i % len(KINDS)]
            adjective, colour = rng.choice(ADJECTIVES), rng.choice(COLOURS)
            price = round(rng.uniform(low, high), 2)
            sale = f"{price * 0.8:.2f} USD" if i % 7 == 0 else ""
            description = (f"<p>A {adjective.lower()} {noun.lower()} in {colour} &amp; "
                           f"made to last.</p><ul><li>Gift boxed</li><li>Item {i}</li></ul>")
            row = [f"GEN-{i:06d}", f"{adjective} {noun} ({colour})", description,
                   f"https://shop.example/p/{i}", f"https://cdn.shop.example/{i}.jpg",
                   "in stock" if i % 11 else "out of stock", f"{price:.2f} USD", sale,
                   rng.choice(["Acme", "Northwind", "Hearth", "Fjord"]), f"{4000000000000 + i}",
                   "new", "Home & Garden", path, colour, f"G-{i // 3}"]
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()

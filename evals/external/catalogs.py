#!/usr/bin/env python3
"""Public product catalogs that giftvec did not write, fetched from the package registries and
mapped to giftvec's import fields (JSON Lines).

    catalogs.py DIR        writes DIR/<name>.jsonl for every catalog below (fetches once into
                           ~/.cache/giftvec/evals; the data is not kept in this repository)

Catalogs (licences in evals/external/LICENSES.md):
  commercetools  npm @commercetools/composable-commerce-test-data-sample-presets@1.1.0, the
                 "B2C lifestyle" sample shop: 117 home, kitchen, bar and decor products, each in
                 several of the shop's own categories (MIT).
  vendure        npm @vendure/create@3.7.3, assets/products.csv, the Vendure demo shop: 54
                 products in electronics, photo, sports, footwear, plants and furniture (GPL-3.0+).
"""
import csv
import io
import json
import pathlib
import re
import subprocess
import sys
import tarfile

CACHE = pathlib.Path.home() / ".cache/giftvec/evals"
PACKAGES = {
    "commercetools": "@commercetools/composable-commerce-test-data-sample-presets@1.1.0",
    "vendure": "@vendure/create@3.7.3",
}


def tarball(name):
    """The package's tarball, fetched with `npm pack` once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    spec = PACKAGES[name]
    found = list(CACHE.glob(f"{name}-*.tgz"))
    if found:
        return found[0]
    out = subprocess.run(["npm", "pack", spec, "--silent"], cwd=CACHE, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    path = CACHE / out
    target = CACHE / f"{name}-{out}"
    path.rename(target)
    return target


def js_string(s):
    return s.replace("\\'", "'").replace('\\"', '"').replace("\\n", " ").replace("\\\\", "\\")


def en_us(block):
    m = re.search(r"\['en-US'\]\('((?:[^'\\]|\\.)*)'\)", block, re.S)
    return js_string(m.group(1)) if m else None


def kebab(camel):
    s = re.sub(r"([a-z])([A-Z0-9])", r"\1-\2", camel)
    return re.sub(r"([0-9])([A-Za-z])", r"\1-\2", s).lower()


# Merchandising groups of the shop, not kinds of product.
NOT_A_KIND = {"new-arrivals", "collections", "the-modernist", "the-minimalist", "the-traditionalist"}


def commercetools():
    files = {}
    with tarfile.open(tarball("commercetools")) as tar:
        for member in tar.getmembers():
            if member.isfile() and "sample-data-b2c-lifestyle" in member.name and member.name.endswith(".js"):
                files[member.name] = tar.extractfile(member).read().decode("utf-8")
    base = "package/dist/"
    cat_names = {}
    for path, text in files.items():
        if path.startswith(base + "category/sample-data-b2c-lifestyle/"):
            key = pathlib.Path(path).stem
            name_block = text[text.find(".name("):]
            cat_names[key] = en_us(name_block) or key.replace("-", " ").title()
    products = []
    for path, text in files.items():
        if not path.startswith(base + "product/product/sample-data-b2c-lifestyle/") or path.endswith("index.js"):
            continue
        key = re.search(r"\.key\('([^']+)'\)", text).group(1)
        name = en_us(text[text.find(".name("):text.find(".description(")])
        description = en_us(text[text.find(".description("):text.find(".slug(")]) or ""
        cats = [kebab(c) for c in re.findall(r"CategoryDraftPresets\.sampleDataB2CLifestyle\s*\.(\w+)\(\)", text)]
        variant = re.search(r"ProductVariantDraftPresets\.sampleDataB2CLifestyle\.(\w+)\(\)", text)
        price = None
        if variant:
            vpath = base + "product/product-variant/sample-data-b2c-lifestyle/" + kebab(variant.group(1)) + ".js"
            m = re.search(r"currencyCode\('USD'\)\.centAmount\((\d+)\)", files.get(vpath, ""))
            price = int(m.group(1)) / 100 if m else None
        products.append({"key": key, "title": name, "description": description, "cats": cats, "price": price})
    # The product's kind: its most specific category (the one fewest products share).
    counts = {}
    for p in products:
        for c in p["cats"]:
            counts[c] = counts.get(c, 0) + 1
    rows = []
    for p in sorted(products, key=lambda p: p["key"]):
        kinds = [c for c in p["cats"] if c not in NOT_A_KIND]
        kind = min(kinds, key=lambda c: (counts[c], c)) if kinds else None
        rows.append({
            "id": "ct-" + p["key"],
            "title": p["title"],
            "description": p["description"],
            "category": cat_names.get(kind, "Other") if kind else "Other",
            "tags": [cat_names.get(c, c) for c in p["cats"] if c != kind],
            "price": p["price"] if p["price"] is not None else 0,
            "currency": "USD",
            "attributes": {"shop_categories": p["cats"]},
        })
    return rows


def vendure():
    with tarfile.open(tarball("vendure")) as tar:
        text = tar.extractfile("package/assets/products.csv").read().decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for raw in reader:
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not row["name"]:
            continue  # another variant of the product above
        facets = [f.split(":", 1) for f in row["facets"].split("|") if ":" in f]
        cats = [v for k, v in facets if k == "category"]
        brand = next((v for k, v in facets if k == "brand"), None)
        rows.append({
            "id": "vd-" + row["slug"],
            "title": row["name"],
            "description": row["description"],
            "category": cats[-1] if cats else "Other",
            "tags": cats[:-1] + ([brand] if brand else []),
            "price": float(row["price"]),
            "currency": "USD",
            "attributes": {"shop_categories": [c.lower() for c in cats], **({"brand": brand} if brand else {})},
        })
    return rows


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, build in [("commercetools", commercetools), ("vendure", vendure)]:
        rows = build()
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} products, {len({r['category'] for r in rows})} categories", file=sys.stderr)


if __name__ == "__main__":
    main()

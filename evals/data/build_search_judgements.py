#!/usr/bin/env python3
"""Writes the labelled query sets of the search evals, next to the demo catalog:

  search_judgements.jsonl   gift-style requests with graded judgements, written by hand
                            below: grade 2 = exactly what was asked for, 1 = related,
                            unlisted = 0. Each request carries the filters an agent would
                            send with it (a budget, a category to avoid), and its judgements
                            respect them.
  personal_judgements.jsonl ambiguous requests ("a birthday present") from shoppers with a
                            history: each shopper liked three products of one category, and
                            the other products of that category are what they want (grade 2).
                            Rule-based, to measure the personal re-rank.

    build_search_judgements.py          # write both files
    build_search_judgements.py --check  # fail if the files differ from what this writes
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
P = dict(ac="arts-crafts", ba="baby", be="beauty", bg="board-games", bo="books", cl="clothing",
         ct="coffee-tea", dr="drinks", ex="experiences", fi="fishing", fit="fitness", fo="food",
         ga="garden", hd="home-decor", je="jewelry", ki="kids", kc="kitchen", mu="music",
         of="office", ou="outdoors", pe="pets", ph="photography", te="tech", tr="travel",
         vg="video-gaming")
def ids(spec):
    out = []
    for part in spec.split(";"):
        part = part.split()
        if not part: continue
        for n in part[1:]:
            out.append(f"{P[part[0]]}-{int(n):03d}")
    return out
Q = [
("something for my dad who loves fishing under $50", {"max_price": 50}, "fi 1 4 5 6 7 9 13 14 16 17 19 20", ""),
("cozy gift for a bookworm", {}, "bo 1 4 5 19", "bo 2 3 6 7 8 9 11 12 13 14 22; hd 2; cl 2 4; be 15; ct 17"),
("coffee lover who makes pour-over every morning", {}, "ct 1 2 8 11", "ct 3 4 5 6 7 9 10 12 13 21 22 23; te 18"),
("gift for new parents", {}, "ba 2 3 6 8 12 14 15", "ba 1 4 5 7 9 10 11 13 16 17 18 19 20 21"),
("gift for a gamer who streams", {}, "vg 9 10 11", "ph 8; vg 1 2 3 4 6 7; te 21"),
("anniversary gift for my wife", {}, "hd 5; je 1 9 13 17; mu 19; ex 3; dr 16", "je 2 5 7 11; be 6 7 8; dr 13; ac 4"),
("home barista espresso setup", {}, "ct 4 5 7 23", "ct 1 2 11 13"),
("present for a tea lover", {}, "ct 14 15 16 17 18 19 20", "fo 15"),
("whisky gift for grandpa", {}, "dr 1 2 12", "dr 10 11 17"),
("wine lover gift under $30", {"max_price": 30}, "dr 3 8 20 21", ""),
("cocktail making at home", {}, "dr 4 14 17; ex 12", "dr 2 9 18; hd 18"),
("craft beer enthusiast", {}, "dr 5 6 15", ""),
("gifts for someone who loves hiking", {}, "ou 3 4 7 8 9 10 13 14 15 20", "ou 1 5 6 11 12 16 17 18 21; cl 5 8 17"),
("camping trip essentials for a beginner", {}, "ou 1 2 4 5 6 11 12 16 17 20", "ou 8 15 21; ct 12; fi 19"),
("yoga lover", {}, "fit 1 2 11 14", "fit 13 19; be 19; hd 4"),
("home gym equipment", {}, "fit 3 4 9 12 17", "fit 6 7 10 13 16 20 22"),
("runner training for a marathon", {}, "fit 5 8 18; cl 16", "fit 6 7 15; te 2 11"),
("muscle recovery after hard workouts", {}, "fit 6 7 19", "be 18 21; fit 2"),
("gift for a cat owner", {}, "pe 2 5 9 13 16", "pe 3 7 10 12 14 19"),
("something for our new puppy", {}, "pe 1 4 6 8 11 18 20", "pe 3 7 10 14 15 17 19"),
("gift for a teenage gamer under $50", {"max_price": 50}, "vg 4 8 11 12 15 16 17 18 21 22", ""),
("PC gaming setup upgrade", {}, "vg 2 3 4 7 11 21 22", "vg 1 6 9 10 20; te 21"),
("retro lover who misses the old days", {}, "mu 1; ph 4; vg 5 15 22; te 12 16", "ph 20; mu 5 6 20"),
("vinyl record collector", {}, "mu 1 5 6 14 20", "te 16"),
("learning to play an instrument", {}, "mu 2 3 7 8 9 10 11 18", "mu 4 15 16 17 21"),
("gift for a guitarist", {}, "mu 3 4 17 21", "mu 9 13 15 16"),
("artist who loves painting", {}, "ac 1 8 15 17", "ac 7 14 21; ex 5 22"),
("crafty friend who loves knitting and sewing", {}, "ac 2 6 12 13 22", "ac 11 20; ba 18"),
("DIY kit for a creative friend", {}, "ac 8 9 10 11 16 19 20", "ac 2 6 13 22; kc 14 15; dr 6 9; hd 22"),
("calligraphy and hand lettering", {}, "ac 5", "of 1 6 8 13; ac 7"),
("fountain pen enthusiast", {}, "of 1 6", "of 2 3 13 17; ac 5"),
("work from home desk upgrades", {}, "of 4 7 11 12 14 16; te 20", "of 9 15 19 20; te 5 13"),
("stationery addict", {}, "of 1 2 3 5 6 8 10 13 17 18", "ac 5; bo 8; tr 7"),
("busy professional who needs to get organised", {}, "of 2 4 5 15 20 21", "tr 3 10; hd 12; kc 7"),
("noise cancelling headphones for long flights", {}, "te 1", "of 12; te 2; tr 4 9; mu 13; vg 1"),
("smart home starter gadgets", {}, "te 4 14; hd 14", "te 21; ga 4"),
("frequent flyer travel accessories", {}, "tr 2 3 4 6 9 10 11 15 17; te 6 13", "tr 5 8 12 16 19; te 1 7; je 10"),
("someone who dreams of travelling the world", {}, "tr 1 2 7 14 20", "tr 3 4 5 6 8 13 17 21; ph 2"),
("gift for a photographer", {}, "ph 1 2 3 6 9 12 14 15 17", "ph 7 10 13 16 18 19; ex 7; te 15 22"),
("film photography fan", {}, "ph 4 13", "ph 11 16 20; te 9"),
("birdwatching nature lover", {}, "ou 18; ph 18; ga 12", "ga 11 13; ph 12"),
("gardener with a vegetable patch", {}, "ga 1 2 5 9 10", "ga 8 14 15 20 22; cl 20"),
("houseplant lover", {}, "ga 7 8 16 17 18; of 9", "ga 3 4 6; hd 22"),
("apartment dweller with no garden who wants to grow herbs", {}, "ga 3 4", "ga 6 7 19; hd 22"),
("eco-friendly gift for a nature lover", {}, "ga 11 12 13 15", "ou 8 11 21; ga 21"),
("foodie who loves cheese and charcuterie", {}, "fo 2 6", "kc 14; fo 3 5 19; dr 10 11"),
("chocolate lover", {}, "fo 1 16 22; ex 10", "ct 22; fo 8 13"),
("spicy food fan", {}, "fo 4; kc 15", "kc 8; fo 10 20"),
("Italian cooking enthusiast", {}, "kc 6; fo 17; ex 2", "fo 3; kc 1 18 19; ct 4"),
("Japanese food lover", {}, "fo 10; kc 2 12; ex 19", "dr 19; ct 15 16"),
("home cook who wants better knives", {}, "kc 2 3", "kc 4 21"),
("baking enthusiast", {}, "kc 5 9 17; ex 16", "kc 16 18; fo 13; ct 19"),
("sourdough bread baker", {}, "kc 5; ex 16", "kc 9 17 18"),
("barbecue grill master dad", {}, "kc 10; fo 20", "kc 11 19"),
("pizza night at home", {}, "kc 18 19", "kc 6; fo 17"),
("gourmet food hamper", {}, "fo 5 15 21; ct 22", "fo 2 6 12 19"),
("healthy snacks for the office", {}, "fo 14 18", "fit 15; fo 7"),
("luxury gourmet treat", {}, "fo 5 19", "dr 13; fo 6 3"),
("gift for a toddler", {}, "ki 3 4 15 17 20", "ba 4 9 17; ki 1"),
("STEM toys for a curious 8 year old", {}, "ki 1 2 7 13 16 22", "ga 19; ki 10 12; bg 19"),
("outdoor toys for active kids", {}, "ki 6 8 14 20", "bg 18"),
("arts and crafts for children", {}, "ki 5 12 19", "ac 13"),
("space and astronomy lover", {}, "ki 11 16 22; ex 15", "ou 18"),
("board game night with friends", {}, "bg 1 2 5 7 9 17 20 21", "bg 6 10 12 16 18"),
("two player game for couples", {}, "bg 6", "bg 4 13; tr 18"),
("puzzle lover", {}, "bg 3 8 14 15 19 22", "bg 7; ex 9"),
("Dungeons and Dragons player", {}, "bg 10 11", "bg 9; bo 21"),
("family game night with young kids", {}, "bg 1 5 12 16", "bg 7 18 19"),
("chess player", {}, "bg 4", "bg 8 13"),
("adrenaline junkie", {}, "ex 1 4 8 13 18", "ex 6 11 20"),
("romantic experience for two", {}, "ex 3; dr 16; ac 4", "ex 1 2 5"),
("experience gift instead of more stuff", {}, "ex " + " ".join(str(i) for i in range(1, 23)) + "; mu 9 12; tr 14 17; fit 14; be 8; dr 16; ac 4; fi 21", ""),
("cooking class", {}, "ex 2 16 19", "ex 10 12"),
("spa day pampering", {}, "be 1 8; ex 3", "be 3 4 5 9 14 18"),
("self care gift for a stressed friend", {}, "be 1 4 9 14 19; hd 1 4 17", "be 3 5 18; ct 18; fit 19; cl 12"),
("skincare lover", {}, "be 3 6 16 20", "be 1 2"),
("grooming kit for men", {}, "be 11 12", "be 10"),
("help someone sleep better", {}, "hd 17; ct 18; be 2 9; tr 9; cl 12", "hd 4 6; cl 4; tr 4; ba 6"),
("housewarming gift", {}, "hd 1 9 19 20", "hd 2 7 10 13 16 21; ga 7"),
("cosy winter gifts", {}, "cl 1 2 3 6 10 11; hd 2", "cl 4 14; pe 16; dr 21; bo 4"),
("gift for someone who is always cold", {}, "cl 2 3 6 10; hd 2", "cl 1 11 17; bo 4; hd 17"),
("Christmas gift for the whole family", {}, "cl 15", "bg 5 12; dr 21; hd 11"),
("personalised gift", {}, "je 1 4 9 13 16 21; of 3 17; ct 21; hd 5 19; mu 17 19; pe 3 20; ph 15; tr 2; bo 2; ba 9; fi 6; dr 12", ""),
("jewellery for my girlfriend's birthday", {}, "je 1 2 5 7 11 13", "je 8 9 17 19"),
("earrings", {}, "je 2 5 11", "je 1 13"),
("gifts for my groomsmen", {}, "je 4 16; dr 12", "je 6 14; dr 2 17"),
("men's leather accessories", {}, "je 3 6 14", "bo 7; of 3; tr 2 11; ph 3; dr 17"),
("watch lover", {}, "je 3 18", "te 11; fit 5"),
("matching friendship gift for my best friend", {}, "je 19", "je 9"),
("grandparents who love family photos", {}, "hd 10 11; ph 5", "ph 16; ba 20"),
("elderly mother who still loves gardening", {}, "ga 10", "ga 1 5 20 22"),
("book club member", {}, "bo 3 11 22", "bo 8 9 18 20"),
("fantasy fan", {}, "bo 21; bg 9 10", "bg 11; bo 17"),
("comic book and graphic novel reader", {}, "bo 17", "vg 14; bo 21"),
("audiobooks for a long commute", {}, "bo 13", "te 1 2; ct 10"),
("coffee on the go for a commuter", {}, "ct 10; te 18", "ct 6 12"),
("kayaking and paddling", {}, "ou 22; ex 11", ""),
("fly fishing enthusiast", {}, "fi 2 3 8 11", "fi 1 7 16 17 21"),
("ice fishing in winter", {}, "fi 12", "cl 6 10; fi 19"),
("sea fishing trip", {}, "fi 18 21", "fi 4 7 17 19"),
("funny mug for dad", {}, "fi 20", "pe 15; ct 21; cl 9"),
("dog mom", {}, "pe 15", "pe 3 12 20"),
("pet memorial keepsake", {}, "pe 12", "pe 3"),
("fish tank hobbyist", {}, "pe 21", ""),
("gift for a baby shower", {}, "ba 1 2 3 10 18 20", "ba 4 5 6 7 9 11 13 16 17 19 21"),
("nursery decor", {}, "ba 19 21", "ba 1; ki 11"),
("keepsake for a newborn", {}, "ba 3 5 9 20", "ba 2 18"),
("music lover who listens on headphones", {}, "mu 13; te 1 2", "vg 1; fit 18; te 3"),
("party host who loves entertaining", {}, "fo 2; hd 18; dr 4 11", "dr 10; hd 13; bg 5 17"),
("mocktails for a friend who doesn't drink alcohol", {}, "dr 18", "dr 14"),
("champagne to celebrate a promotion", {}, "dr 13", "dr 11 20; fo 19"),
("gin lover", {}, "dr 9; ex 21", "dr 4 14"),
("learning a new language before a trip", {}, "tr 20", "tr 13 21"),
("movie night at home", {}, "te 10; fo 9", "hd 2; te 3"),
("small gift for a coworker under $20", {"max_price": 20}, "of 5 10 18; ct 21", "fit 15; tr 19; vg 18; bo 8; be 19"),
("something for my sister who loves cooking, around 40 dollars", {"min_price": 30, "max_price": 50}, "kc 3 5 7 8 11 12 14 15 18 21", "fo 3 17 20; ou 5"),
("fitness tracker in stock", {"in_stock": True}, "te 11", "fit 18 22"),
("candles and home fragrance", {}, "hd 1 4 20; bo 5", "ac 9; be 14; hd 9"),
("lighting for a cosy living room", {}, "hd 1 3 14", "te 21; ga 21; of 14; vg 11"),
("gift for a cyclist", {}, "fit 21; te 17", "cl 16"),
("rock climbing", {}, "ex 6; ou 19", "ex 13"),
("boxing training", {}, "fit 9 10", "fit 6"),
("drone pilot", {}, "te 15; ph 21", "ph 7"),
("podcast recording setup", {}, "vg 9", "vg 10; ph 8; mu 13"),
("look better on video calls from home", {}, "ph 8; vg 10; of 12", "of 14"),
("writer who journals every day", {}, "of 2 3; be 19; tr 7; bo 8", "of 1; te 8 19; fi 13"),
("ukulele", {}, "mu 2", "mu 3 7"),
("bonsai tree", {}, "ga 6", "ga 14 17"),
("massage gun", {}, "fit 6", "be 18; fit 7"),
("pasta maker", {}, "kc 6", "fo 17; ex 2"),
("macrame", {}, "ac 11; ga 18", ""),
("gift for a coffee lover who is not a cook, no kitchen gadgets", {"exclude_category": "Kitchen & Cooking"}, "ct 3 9 21 22 10", "ct 1 2 4 5 6 7 8 11 12 13 23; te 18"),
("outdoorsy dad, but not fishing gear", {"exclude_category": "Fishing"}, "ou 3 4 7 13 2 16 18", "ou 1 5 6 8 9 10 11 12 14 15 17 20 21; cl 8 10"),
]
GENERIC = [
    ("a birthday present", {}),
    ("something special for him", {}),
    ("something special for her", {}),
    ("a thank-you gift", {}),
    ("a gift they will actually use", {}),
    ("christmas present ideas", {}),
    ("a nice surprise", {}),
    ("gift for my best friend", {}),
    ("anniversary present", {}),
    ("a little treat under $40", {"max_price": 40}),
]


def fits(p, flt):
    return (("max_price" not in flt or p["price"] <= flt["max_price"])
            and ("min_price" not in flt or p["price"] >= flt["min_price"])
            and (not flt.get("in_stock") or p["in_stock"])
            and flt.get("exclude_category") != p["category"]
            and p["id"] not in flt.get("exclude_ids", []))


def main():
    check = "--check" in sys.argv[1:]
    catalog = [json.loads(l) for l in (HERE / "demo_catalog.jsonl").read_text(encoding="utf-8").splitlines()]
    cat = {p["id"]: p for p in catalog}
    files = {"search_judgements.jsonl": labelled(cat), "personal_judgements.jsonl": personal(cat)}
    stale = []
    for name, text in files.items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.exit(f"out of date: {', '.join(stale)}; run evals/data/build_search_judgements.py")


def personal(cat):
    lines = []
    categories = sorted({p["category"] for p in cat.values()})
    for i, category in enumerate(categories):
        members = sorted(pid for pid, p in cat.items() if p["category"] == category)
        liked = members[:3]
        query, flt = GENERIC[i % len(GENERIC)]
        flt = dict(flt, exclude_ids=liked)
        judged = {pid: 2 for pid in members if fits(cat[pid], flt)}
        user = "shopper-" + members[0].rsplit("-", 1)[0]
        lines.append(json.dumps({"id": f"p{i + 1:03d}", "query": query, "filters": flt, "user_id": user,
                                 "liked": liked, "judgements": judged}))
    return "\n".join(lines) + "\n"


def labelled(cat):
    seen = set()
    lines = []
    for i, (q, flt, g2, g1) in enumerate(Q, 1):
        assert q not in seen, q
        seen.add(q)
        j = {}
        for pid in ids(g2): j[pid] = 2
        for pid in ids(g1):
            assert pid not in j, (q, pid); j[pid] = 1
        for pid in j:
            assert fits(cat[pid], flt), (q, pid)
        lines.append(json.dumps({"id": f"q{i:03d}", "query": q, "filters": flt, "judgements": j}))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

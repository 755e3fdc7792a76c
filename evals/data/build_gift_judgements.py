#!/usr/bin/env python3
"""Writes gift_judgements.jsonl: recipient-style gift requests ("my dad, 60, loves fishing,
about 50") as an agent would send them to recommend_gifts, with graded judgements.

Each request is written by hand below: the sentence a shopper would say, the occasion, the
recipient as the agent would capture it (relationship, age band, interests, a description),
and a budget. Its judgements are those hand-written for the search request it names in
build_search_judgements.py (grade 2 = exactly what was asked for, 1 = related, unlisted = 0),
kept only where the product fits the budget and is in stock (recommend_gifts shows in-stock
products by default), so every labelled product is one the request may be answered with.

    build_gift_judgements.py          # write the file
    build_gift_judgements.py --check  # fail if the file differs from what this writes
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build_search_judgements import Q, ids  # noqa: E402


def r(relationship, age, interests, description=""):
    return {"relationship": relationship, "age_band": age, "interests": interests, "description": description}


# (labels of this search request, what the shopper said, occasion, recipient, budget max)
G = [
    ("something for my dad who loves fishing under $50", "My dad is turning 60 and spends every weekend fishing at the lake; I can spend about 50.", "birthday", r("father", "60+", ["fishing"], "retired, fishes every weekend"), 50),
    ("fly fishing enthusiast", "My uncle ties his own flies and fishes rivers for trout.", "birthday", r("uncle", "50s", ["fly fishing", "trout"]), None),
    ("sea fishing trip", "My brother is going on a deep sea fishing trip this summer.", "send-off", r("brother", "30s", ["sea fishing", "boats"]), None),
    ("cozy gift for a bookworm", "My girlfriend reads every evening curled up on the sofa.", "christmas", r("girlfriend", "20s", ["reading", "novels"], "loves a cosy evening with a book"), None),
    ("coffee lover who makes pour-over every morning", "My colleague makes pour-over coffee every single morning and is picky about beans.", "farewell", r("colleague", "30s", ["specialty coffee", "pour-over"]), None),
    ("present for a tea lover", "My grandmother drinks loose leaf tea all day.", "mother's day", r("grandmother", "80+", ["tea"], "drinks loose leaf tea all day"), None),
    ("whisky gift for grandpa", "Grandpa enjoys a dram of single malt whisky after dinner.", "birthday", r("grandfather", "80+", ["whisky"]), None),
    ("wine lover gift under $30", "A small thank-you for my neighbour who loves red wine, under 30.", "thank you", r("neighbour", "50s", ["wine"]), 30),
    ("cocktail making at home", "My best friend just got into mixing cocktails at home.", "birthday", r("friend", "30s", ["cocktails", "mixology"]), None),
    ("craft beer enthusiast", "My brother-in-law brews and tastes craft beer, IPAs mostly.", "christmas", r("brother-in-law", "40s", ["craft beer", "IPA"]), None),
    ("gifts for someone who loves hiking", "My sister hikes mountain trails every weekend.", "birthday", r("sister", "30s", ["hiking", "mountains"]), None),
    ("camping trip essentials for a beginner", "My son is going on his first camping trip with friends.", "graduation", r("son", "teen", ["camping"], "first camping trip, has no gear yet"), None),
    ("yoga lover", "My wife does yoga every morning before work.", "anniversary", r("wife", "40s", ["yoga", "meditation"]), None),
    ("home gym equipment", "My husband wants to work out at home instead of the gym.", "birthday", r("husband", "40s", ["strength training", "home workouts"]), None),
    ("runner training for a marathon", "My friend is training for her first marathon.", "good luck", r("friend", "30s", ["running", "marathon"]), None),
    ("gift for a cat owner", "My aunt adores her two cats.", "birthday", r("aunt", "60+", ["cats"]), None),
    ("something for our new puppy", "My cousin just adopted a puppy.", "new pet", r("cousin", "20s", ["dogs", "puppy"]), None),
    ("gift for a teenage gamer under $50", "My nephew is 15 and plays video games all the time; budget 50.", "birthday", r("nephew", "teen", ["video games"]), 50),
    ("PC gaming setup upgrade", "My boyfriend wants to upgrade his PC gaming setup.", "birthday", r("boyfriend", "20s", ["PC gaming"]), None),
    ("vinyl record collector", "My father-in-law collects vinyl records and old jazz albums.", "christmas", r("father-in-law", "60+", ["vinyl records", "jazz"]), None),
    ("learning to play an instrument", "My daughter wants to learn to play an instrument.", "birthday", r("daughter", "teen", ["music", "learning an instrument"]), None),
    ("gift for a guitarist", "My bandmate plays electric guitar in our band.", "birthday", r("friend", "30s", ["guitar"]), None),
    ("artist who loves painting", "My mum paints landscapes in watercolour and acrylics.", "mother's day", r("mother", "60+", ["painting", "watercolour"]), None),
    ("crafty friend who loves knitting and sewing", "My friend knits and sews her own clothes.", "birthday", r("friend", "40s", ["knitting", "sewing"]), None),
    ("fountain pen enthusiast", "My boss collects fountain pens and writes letters by hand.", "farewell", r("boss", "50s", ["fountain pens", "handwriting"]), None),
    ("work from home desk upgrades", "My partner works from home and hates the desk setup.", "christmas", r("partner", "30s", ["home office"]), None),
    ("stationery addict", "My niece loves notebooks, pens and washi tape.", "back to school", r("niece", "teen", ["stationery", "journaling"]), None),
    ("noise cancelling headphones for long flights", "My husband flies long-haul for work every month.", "birthday", r("husband", "40s", ["travel", "flying"]), None),
    ("frequent flyer travel accessories", "My colleague travels for business every week.", "farewell", r("colleague", "40s", ["business travel"]), None),
    ("gift for a photographer", "My son studies photography and shoots with a DSLR.", "graduation", r("son", "20s", ["photography", "camera"]), None),
    ("film photography fan", "My friend shoots on 35mm film cameras.", "birthday", r("friend", "20s", ["film photography", "analogue cameras"]), None),
    ("gardener with a vegetable patch", "My dad grows his own vegetables in the back garden.", "father's day", r("father", "60+", ["vegetable gardening"]), None),
    ("houseplant lover", "My flatmate has a jungle of houseplants.", "housewarming", r("friend", "20s", ["houseplants"]), None),
    ("apartment dweller with no garden who wants to grow herbs", "My sister lives in a flat with no garden but wants to grow herbs.", "housewarming", r("sister", "30s", ["herbs", "cooking"], "small apartment, no garden"), None),
    ("foodie who loves cheese and charcuterie", "My in-laws love a good cheese board with charcuterie.", "christmas", r("parents-in-law", "60+", ["cheese", "charcuterie"]), None),
    ("chocolate lover", "My wife can never say no to good chocolate.", "valentine's day", r("wife", "30s", ["chocolate"]), None),
    ("home cook who wants better knives", "My brother cooks every night and complains his knives are dull.", "birthday", r("brother", "30s", ["cooking"]), None),
    ("baking enthusiast", "My grandmother bakes cakes and cookies every weekend.", "birthday", r("grandmother", "70s", ["baking"]), None),
    ("barbecue grill master dad", "My dad is the king of the barbecue every summer.", "father's day", r("father", "50s", ["barbecue", "grilling"]), None),
    ("gift for a toddler", "My godson is turning two.", "birthday", r("godson", "toddler", ["toys"]), None),
    ("STEM toys for a curious 8 year old", "My niece is 8 and asks how everything works.", "birthday", r("niece", "8", ["science", "building things"]), None),
    ("board game night with friends", "Our friends host a board game night every Friday.", "housewarming", r("friends", "30s", ["board games"]), None),
    ("puzzle lover", "My mother-in-law does jigsaw puzzles every evening.", "christmas", r("mother-in-law", "60+", ["jigsaw puzzles"]), None),
    ("chess player", "My son plays chess at his school club.", "birthday", r("son", "12", ["chess"]), None),
    ("romantic experience for two", "Something romantic we can do together for our anniversary.", "anniversary", r("partner", "30s", ["experiences", "romance"]), None),
    ("spa day pampering", "My mum deserves a day of pampering.", "mother's day", r("mother", "50s", ["spa", "relaxing"]), None),
    ("skincare lover", "My sister has a ten-step skincare routine.", "birthday", r("sister", "20s", ["skincare"]), None),
    ("grooming kit for men", "My boyfriend is growing a beard and needs grooming gear.", "birthday", r("boyfriend", "20s", ["beard", "grooming"]), None),
    ("housewarming gift", "Friends just moved into their first home.", "housewarming", r("friends", "30s", ["home"]), None),
    ("jewellery for my girlfriend's birthday", "My girlfriend loves delicate jewellery.", "birthday", r("girlfriend", "20s", ["jewellery"]), None),
    ("gifts for my groomsmen", "Something for each of my five groomsmen.", "wedding", r("friends", "30s", ["groomsmen"]), None),
    ("fantasy fan", "My nephew reads every fantasy series with dragons and magic.", "birthday", r("nephew", "teen", ["fantasy books"]), None),
    ("gift for a baby shower", "My colleague is expecting her first baby.", "baby shower", r("colleague", "30s", ["new baby"]), None),
    ("small gift for a coworker under $20", "A small secret-santa gift for a coworker, under 20.", "secret santa", r("coworker", "adult", []), 20),
    ("gin lover", "My aunt loves a gin and tonic in the garden.", "birthday", r("aunt", "50s", ["gin"]), None),
    ("gift for a cyclist", "My dad cycles 100 km every Sunday.", "birthday", r("father", "60+", ["cycling", "road bike"]), None),
]


def main():
    check = "--check" in sys.argv[1:]
    catalog = {p["id"]: p for p in map(json.loads, (HERE / "demo_catalog.jsonl").read_text(encoding="utf-8").splitlines())}
    search = {q: (g2, g1) for q, _flt, g2, g1 in Q}
    lines = []
    for i, (borrow, text, occasion, recipient, budget) in enumerate(G, 1):
        g2, g1 = search[borrow]
        judged = {}
        for grade, spec in ((2, g2), (1, g1)):
            for pid in ids(spec):
                p = catalog[pid]
                if p["in_stock"] and (budget is None or p["price"] <= budget):
                    judged.setdefault(pid, grade)
        assert any(g == 2 for g in judged.values()), (text, "no grade-2 product fits")
        lines.append(json.dumps({"id": f"g{i:03d}", "text": text, "occasion": occasion,
                                 "recipient": recipient, "budget": budget, "labels_from": borrow,
                                 "judgements": judged}))
    assert len(lines) >= 50
    body = "\n".join(lines) + "\n"
    path = HERE / "gift_judgements.jsonl"
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != body:
            sys.exit("out of date: gift_judgements.jsonl; run evals/data/build_gift_judgements.py")
    else:
        path.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()

"""The request rules of giftvec that JSON Schema cannot state, as Schemathesis filters.

The OpenAPI document states every rule of one field and the exclusive pairs (oneOf / not /
dependentRequired); these are the rules that compare two fields or need the request to carry
something to go on. Generated requests that break one are not sent: the server refuses them
with a 400 naming the field (tested in tests/it), which Schemathesis would otherwise count
as a valid request refused.
"""

import schemathesis


def _ordered(low, high):
    """Both bounds given and low above high: the one cross-field rule on ranges."""
    number = (int, float)
    return not (isinstance(low, number) and isinstance(high, number) and low > high)


def _price_range_holds(value):
    if not isinstance(value, dict):
        return True
    filters = value.get("filters")
    if isinstance(filters, dict) and not _ordered(filters.get("min_price"), filters.get("max_price")):
        return False
    if not _ordered(value.get("min_price"), value.get("max_price")):  # query parameters
        return False
    budget = value.get("budget")
    return not (isinstance(budget, dict) and not _ordered(budget.get("min"), budget.get("max")))


def _words(text):
    return isinstance(text, str) and text.strip() != ""


def _something_to_go_on(body):
    """recommend_gifts needs context, an occasion, a saved recipient or an inline one with a
    description or interests (a user's history alone depends on what they did)."""
    if not isinstance(body, dict):
        return True
    recipient = body.get("recipient")
    interests = recipient.get("interests") if isinstance(recipient, dict) else None
    described = isinstance(recipient, dict) and (
        _words(recipient.get("description"))
        or (isinstance(interests, list) and any(_words(i) for i in interests))
    )
    return (_words(body.get("context")) or _words(body.get("occasion"))
            or _words(body.get("recipient_id")) or described)


@schemathesis.hook
def filter_body(ctx, body):
    if ctx.operation is not None and ctx.operation.path == "/api/recommendations":
        if not _something_to_go_on(body):
            return False
    return _price_range_holds(body)


@schemathesis.hook
def filter_query(ctx, query):
    return _price_range_holds(query)

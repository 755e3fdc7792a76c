#!/usr/bin/env python3
"""Bounded property-based fuzzing of every giftvec tool, through JSON-RPC and MCP.

    python tool_props.py --base http://127.0.0.1:7391 --database-url postgres://.../giftvec \
        [--examples 40] [--seed 20261201] [--token T] [--max-seconds 600]

For each tool that `tools.list` names, Hypothesis draws --examples inputs from each of two
strategies: `schema` (the tool's inputSchema through hypothesis-jsonschema, half of them with
real product ids, known user / recipient ids and plain words planted in their fields) and
`hostile` (one mutation of a valid input: a wrong type, NUL / C0 / DEL characters, 100 KB and
1 MB strings, whitespace only, NaN / Infinity tokens, 1e308 and 2**64, deep nesting, unknown
fields, SQL and tsquery syntax, forged cursors, unknown ids, 10,000-item arrays, nulls,
arguments that are not an object). Every input goes to JSON-RPC (POST /rpc) and to MCP (the
official Python SDK over streamable HTTP at /mcp, one session for the run; what the SDK
cannot carry, such as non-object arguments or NaN, is posted to /mcp as raw JSON-RPC).

A case FAILS when the answer is an internal error (JSON-RPC -32603 or data.code "internal",
an MCP tool error with code "internal", an MCP protocol error -32603), an HTTP 5xx, a broken
or hung transport, an MCP success that fails the SDK's outputSchema check; when GET /healthz
then answers anything but 200; or when a refused call changed the tables the tools write
(a change is confirmed by replaying the call once before it is reported).
Exit status: 0 without failures, 1 with failures, 2 when the run could not start.

Serve every tool (GIFTVEC_TOOLSETS=all giftvec serve --listen 127.0.0.1:PORT) on a database
of its own: accepted write calls add recipients, events and recommendations. The summary's
refusal codes are the tools' error codes (invalid_input, not_found, ...), parse_error (-32700:
NaN tokens, deep nesting), http_413 / http_415 (bodies refused before JSON-RPC: over the size
limit, NaN over /mcp) and protocol:<code> (MCP protocol errors other than -32603).

Needs (Python 3.11): mcp==2.3.0, hypothesis, hypothesis-jsonschema, psycopg[binary] and httpx
(or httpx2, which mcp 2.x itself depends on). hypothesis-jsonschema 0.23.1 calls a Hypothesis
internal (`many.more()`) that Hypothesis 6.170.10 removed: pin `hypothesis<=6.170.9` to draw
from it; with a newer Hypothesis the run says so and uses the small translator below, which
covers the keywords giftvec's schemas use. Only loopback bases are accepted.
"""
import argparse, base64, ipaddress, json, logging, math, re, sys, time, zlib
from collections import Counter, defaultdict
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import psycopg
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis_jsonschema import from_schema
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

try:
    import httpx
except ImportError:  # mcp 2.x brings httpx2, the same API
    import httpx2 as httpx

CALL_TIMEOUT = 60.0  # the server answers `timeout` after 15 s; silence past this is a failure
USERS = ["props-user-1"]
RECIPIENTS = ["props-r1", "props-r2"]
PHRASES = ["gift for a coffee lover", "cozy gift for a bookworm under $40", "birthday",
           "my dad, 60, loves fly fishing and jazz", "not a mug", "housewarming"]
ID_LISTS = {"product_ids", "exclude_ids", "liked_product_ids", "disliked_product_ids"}
WORD_KEYS = {"query", "context", "text", "occasion", "name", "description"}
CONTROL = [chr(c) for c in range(32)] + ["\x7f"]
SQL = ["'; DROP TABLE products; --", "1' OR '1'='1", "'; SELECT pg_sleep(20); --",
       "$$; DELETE FROM recipients; $$", "\\'; --"]
TSQUERY = ["a & !b | (c", "!!!", "a:* & b:*", "((((", "a <-> b <2> c", "&|!():*", "'\"", "-"]
ODD_STRINGS = ["", " ", "   \t\n  ", "\u00a0\u3000\u2028", "\u200b", "\ufeff", "\U0001F381" * 50]
NUMBERS = [1e308, -1e308, 2**64, 2**63, -(2**63) - 1, 10**30, -1, 0, 0.5, 1e-320, -0.0]
NONFINITE = [math.nan, math.inf, -math.inf]  # sent as the raw tokens NaN / Infinity
SAMPLE = {"string": "5", "integer": 5, "number": 5.5, "boolean": True, "array": ["x"],
          "object": {"a": 1}, "null": None}
# Tables a tool call writes. Left out: products, embedding_models (no tool writes them; the
# catalog comes from import / the web app); embedding_jobs and product_embeddings (the embedding
# worker changes them by itself); product_terms, bm25_term_docs, bm25_totals (term statistics
# kept by catalog triggers); embedding_usage (the spend ledger, written in the background after
# any embedding, and a refused call may already have embedded); _sqlx_migrations.
TABLES = ["recipients", "recipient_vectors", "events", "user_preferences", "search_queries",
          "recommendation_requests", "recommendation_items"]


@dataclass
class Outcome:
    kind: str  # ok | refused | failure
    code: str  # refusal code, or what failed
    answer: str = ""
    raw: bool = False  # sent past the MCP SDK

    @property
    def error_answer(self):
        """The server answered with an error: then it must not have written anything."""
        return self.kind == "refused" or self.kind == "failure" and self.code not in (
            "transport", "SDK rejected the result")  # no answer, or a success


def short(value, limit=300):
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def strict_json(value):
    try:
        json.dumps(value, allow_nan=False)
        return True
    except (ValueError, TypeError, RecursionError):
        return False


# ---- the tables' fingerprint -------------------------------------------------------------------

class Tables:
    """Per table in TABLES, count(*) and the md5 of its rows' text in order, in one query.

    A pgvector column counts by its dimension and norm: printing every 384-d vector as text
    made the fingerprint three times slower (search_queries grows with every search), and a
    write that changes a vector changes its norm.
    """

    def __init__(self, url):
        self.conn = psycopg.connect(url, autocommit=True)
        columns = defaultdict(list)
        for table, column, udt in self.conn.execute(
                "SELECT table_name, column_name, udt_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = ANY(%s)"
                " ORDER BY table_name, ordinal_position", [TABLES]):
            quoted = f't."{column}"'
            columns[table].append(f"vector_dims({quoted}), vector_norm({quoted})"
                                  if udt == "vector" else quoted)
        self.names = [t for t in TABLES if t in columns]
        self.sql = " UNION ALL ".join(
            f"SELECT '{t}', count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), ''))"
            f" FROM (SELECT ROW({', '.join(columns[t])})::text AS r FROM {t} t) rows"
            for t in self.names)

    def take(self):
        return {name: (count, digest) for name, count, digest in self.conn.execute(self.sql)}

    def settled(self):
        """A fingerprint that held for 0.1 s: background writes of an accepted call landed."""
        last, deadline = self.take(), time.monotonic() + 3
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.take()
            if now == last:
                return now
            last = now
        return last


def changed(before, after):
    return sorted(t for t in after if before.get(t) != after[t])


# ---- transports --------------------------------------------------------------------------------

def rpc_error(err, label):
    """A JSON-RPC error object: a refusal, or a failure when it is an internal error."""
    data = err.get("data") if isinstance(err.get("data"), dict) else {}
    code, tag, message = err.get("code"), data.get("code"), str(err.get("message"))
    internal = label == "protocol" and re.search(r"\binternal\b", message, re.I)
    if code == -32603 or tag == "internal" or internal:
        return Outcome("failure", f"{label} error {code}/{tag}", short(err))
    if code == -32700:
        return Outcome("refused", "parse_error", short(err))
    return Outcome("refused", tag or f"{label}:{code}", short(err))


def tool_result(is_error, texts):
    """An MCP CallToolResult: ok, or the refusal its JSON text block names."""
    if not is_error:
        return Outcome("ok", "ok")
    try:
        err = json.loads(texts[0])
        code = err["code"]
    except (IndexError, ValueError, KeyError, TypeError):
        return Outcome("failure", "tool error without a JSON body", short(texts))
    return Outcome("failure" if code == "internal" else "refused", code, short(err))


def post(http, url, body, headers):
    """POSTs a JSON-RPC body (NaN as written); the answer, or the Outcome that ends the case."""
    try:
        r = http.post(url, content=json.dumps(body, allow_nan=True).encode(), headers=headers)
    except httpx.HTTPError as e:
        return Outcome("failure", "transport", f"{type(e).__name__}: {e}")
    if r.status_code >= 500:
        return Outcome("failure", f"HTTP {r.status_code}", short(r.text))
    text = r.text
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        text = ([ln[5:] for ln in text.splitlines() if ln.startswith("data:")] or [""])[-1]
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "jsonrpc" in answer:
        return answer
    if r.status_code >= 400:  # refused before JSON-RPC, e.g. 413 for a body over the limit
        return Outcome("refused", f"http_{r.status_code}", short(r.text))
    return Outcome("failure", "not a JSON-RPC answer", short(r.text))


class Rpc:
    name = "rpc"

    def __init__(self, http, base):
        self.http, self.url = http, f"{base}/rpc"

    def call(self, tool, args, n):
        answer = post(self.http, self.url, {"jsonrpc": "2.0", "id": n, "method": tool,
                                            "params": args}, {"content-type": "application/json"})
        if isinstance(answer, Outcome):
            return answer
        if "result" in answer:
            return Outcome("ok", "ok")
        if isinstance(answer.get("error"), dict):
            return rpc_error(answer["error"], "rpc")
        return Outcome("failure", "neither result nor error", short(answer))


@asynccontextmanager
async def mcp_session(url, headers):
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = await session.initialize()
                await session.list_tools()  # the output schemas the SDK checks results with
                yield session, init.protocol_version


class Mcp:
    """One MCP SDK session for the run, driven from this thread through an anyio portal."""
    name = "mcp"

    def __init__(self, http, base, headers):
        self.http, self.url = http, f"{base}/mcp"
        self.stack = ExitStack()
        try:
            self.portal = self.stack.enter_context(start_blocking_portal())
            self.session, self.protocol = self.stack.enter_context(
                self.portal.wrap_async_context_manager(mcp_session(self.url, headers)))
        except BaseException:
            self.close()
            raise

    def close(self):
        try:
            self.stack.close()
        except Exception as e:  # noqa: BLE001 - the run is over; say it and go on
            print(f"tool-props: closing the MCP session: {type(e).__name__}: {e}", file=sys.stderr)

    async def _call(self, tool, args):
        with anyio.fail_after(CALL_TIMEOUT):
            return await self.session.call_tool(tool, args)

    def call(self, tool, args, n):
        if not isinstance(args, dict) or not strict_json(args):
            return self.raw(tool, args, n)  # what the SDK cannot send: a list, null, NaN
        try:
            result = self.portal.call(self._call, tool, args)
        except MCPError as e:
            if e.code == -32603 and "Server returned an error response" in e.message:
                return self.raw(tool, args, n)  # the SDK's stand-in for an HTTP status: ask
            return rpc_error({"code": e.code, "message": e.message, "data": e.data}, "protocol")
        except TimeoutError:
            return Outcome("failure", "transport", f"no answer within {CALL_TIMEOUT:.0f} s")
        except (ValueError, TypeError, RecursionError):  # the SDK could not encode the arguments
            return self.raw(tool, args, n)
        except RuntimeError as e:
            return Outcome("failure", "SDK rejected the result", short(str(e)))
        except Exception as e:  # noqa: BLE001 - whatever broke is the finding
            return Outcome("failure", "transport", f"{type(e).__name__}: {short(str(e))}")
        return tool_result(result.is_error, [getattr(c, "text", None) for c in result.content
                                             if getattr(c, "type", "") == "text"])

    def raw(self, tool, args, n):
        """tools/call as plain JSON-RPC over /mcp (the server is stateless)."""
        answer = post(self.http, self.url, {
            "jsonrpc": "2.0", "id": n, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}, {
            "content-type": "application/json", "accept": "application/json, text/event-stream",
            "mcp-protocol-version": self.protocol})
        if isinstance(answer, Outcome):
            out = answer
        elif isinstance(answer.get("error"), dict):
            out = rpc_error(answer["error"], "protocol")
        else:
            result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
            out = tool_result(result.get("isError"), [
                c.get("text") for c in result.get("content", []) if c.get("type") == "text"])
        out.raw = True
        return out


# ---- strategies --------------------------------------------------------------------------------

def types_of(schema):
    t = schema.get("type")
    found = set(t if isinstance(t, list) else [t] if t else [])
    for alt in schema.get("anyOf", []):
        found |= types_of(alt)
    return found


def translate(schema):
    """JSON Schema to a strategy, for the keywords giftvec uses (the fallback generator)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([translate(s) for s in schema["anyOf"]])
    t, lo, hi = schema.get("type"), schema.get("minimum"), schema.get("maximum")
    if t == "string":
        return st.text(min_size=schema.get("minLength", 0),
                       max_size=min(schema.get("maxLength", 300), 300))
    if t == "integer":
        return st.integers(min_value=lo, max_value=hi)
    if t == "number":
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False) | st.integers(
            math.ceil(lo) if lo is not None else None, math.floor(hi) if hi is not None else None)
    if t == "boolean":
        return st.booleans()
    if t == "array":
        lo_n = schema.get("minItems", 0)
        return st.lists(translate(schema.get("items", {})), min_size=lo_n,
                        max_size=max(lo_n, min(schema.get("maxItems", 8), 8)))
    if t == "object":
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: translate(s) for k, s in props.items() if k in required},
            optional={k: translate(s) for k, s in props.items() if k not in required})
    return st.none() if t == "null" else st.just("x")


def stripped(schema):
    """The schema without keywords hypothesis-jsonschema may not handle."""
    drop = {"pattern", "format", "patternProperties", "contentEncoding", "$schema"}
    if isinstance(schema, dict):
        return {k: stripped(v) for k, v in schema.items() if k not in drop}
    return [stripped(v) for v in schema] if isinstance(schema, list) else schema


def plausible(key, schema, ctx):
    """A valid value for a field: what a normal call would send."""
    if "enum" in schema:
        return schema["enum"][0]
    t = sorted(types_of(schema) - {"null"} or {"string"})[0]
    if t == "string":
        return {"product_id": ctx["ids"][0], "user_id": USERS[0], "recipient_id": RECIPIENTS[0]
                }.get(key, PHRASES[0] if key in WORD_KEYS else "gift")
    if t in ("integer", "number"):
        return max(schema.get("minimum", 1), min(10, schema.get("maximum", 10)))
    if t == "array":
        return [plausible(key, schema.get("items", {}), ctx)] * schema.get("minItems", 0)
    if t == "object":
        return valid_base(schema, ctx)
    return True


def valid_base(schema, ctx):
    props = schema.get("properties", {})
    keys = list(schema.get("required", []))
    keys += [k for k in ("query", "context", "product_id", "texts") if k in props][:1]
    return {k: plausible(k, props[k], ctx) for k in dict.fromkeys(keys)}


def clean(text):
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", "", text).strip() or "gift"


def plant(draw, value, ctx):
    """Real ids and plain words in some fields, the other strings cleaned: calls that succeed."""
    for key, v in list(value.items()):
        if isinstance(v, dict):
            plant(draw, v, ctx)
        elif key == "product_id" and isinstance(v, str):
            value[key] = draw(st.sampled_from(ctx["ids"]))
        elif key in ID_LISTS and isinstance(v, list):
            value[key] = draw(st.lists(st.sampled_from(ctx["ids"]), max_size=max(1, len(v)),
                                       unique=True))
        elif key in ("user_id", "recipient_id") and isinstance(v, str):
            value[key] = draw(st.sampled_from(USERS if key == "user_id" else RECIPIENTS))
        elif key in WORD_KEYS and isinstance(v, str):
            value[key] = draw(st.sampled_from(PHRASES))
        elif key == "texts" and isinstance(v, list):
            value[key] = draw(st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3))
        elif isinstance(v, str):
            value[key] = clean(v)
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            value[key] = [clean(x) for x in v]
    return value


@st.composite
def planted(draw, inner, ctx):
    value = draw(inner)
    return plant(draw, value, ctx) if isinstance(value, dict) and draw(st.booleans()) else value


def paths_of(schema, prefix=(), depth=0):
    out = []
    for key, sub in schema.get("properties", {}).items():
        out.append((prefix + (key,), sub))
        if "object" in types_of(sub) and depth < 2:
            out += paths_of(sub, prefix + (key,), depth + 1)
    return out


def set_at(value, path, new):
    node = value
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = new
    return value


def nested(depth, leaf="x"):
    for i in range(depth):
        leaf = [leaf] if i % 2 else {"a": leaf}
    return leaf


@st.composite
def hostile(draw, schema, ctx):
    """One hostile change to a valid call of the tool."""
    value, paths = valid_base(schema, ctx), paths_of(schema) or [(("x",), {})]

    def target(want=None):
        fit = [p for p in paths if want is None or want(p)] or paths
        return draw(st.sampled_from(fit))

    def at(path_schema, bad):
        path, sub = path_schema
        return set_at(value, path, [bad] if "array" in types_of(sub) else bad)

    strings = (st.sampled_from(CONTROL).map(lambda c: f"gift{c}idea") | st.sampled_from(
        CONTROL + ODD_STRINGS + SQL + TSQUERY) | st.sampled_from(
        ["x" * 100_000, "é" * 100_000, "y" * 1_048_576]))
    is_str = lambda p: "string" in types_of(p[1]) or "string" in types_of(p[1].get("items", {}))
    is_num = lambda p: types_of(p[1]) & {"integer", "number"}
    is_id = lambda p: p[0][-1].endswith(("_id", "_ids"))
    kind = draw(st.sampled_from(["wrong_type", "bad_string", "number", "nonfinite", "nested",
                                 "extra", "cursor", "unknown_id", "big_array", "null",
                                 "all_null", "not_object", "bad_enum", "empty"]))
    if kind == "wrong_type":
        path, sub = target()
        wrong = [v for t, v in SAMPLE.items() if t not in types_of(sub) and not (
            t == "integer" and "number" in types_of(sub))]
        return set_at(value, path, draw(st.sampled_from(wrong or [{"a": 1}])))
    if kind == "bad_string":
        return at(target(is_str), draw(strings))
    if kind in ("number", "nonfinite"):
        return at(target(is_num), draw(st.sampled_from(NUMBERS if kind == "number" else NONFINITE)))
    if kind == "nested":
        return set_at(value, target()[0], nested(draw(st.sampled_from([32, 127, 129, 400]))))
    if kind == "extra":
        key = draw(st.sampled_from(["zz_unknown", "__proto__", "constructor", "", "product_id "]))
        return set_at(value, draw(st.sampled_from([(), target()[0][:-1]])) + (key,), "x")
    if kind == "cursor":
        forged = draw(st.binary(min_size=1, max_size=64).map(lambda b: base64.b64encode(b).decode())
                      | st.sampled_from(["AAAA", "A" * 100_000, "c1.3.b0e091a128f8",
                                         "c1.99999999999999999999.ffffffffffff", "c1.-5.x", "c0"])
                      | st.text(max_size=40))
        return {**value, "cursor": forged}
    if kind == "unknown_id":
        return at(target(is_id), "no-such-" + draw(st.text("abcdef0123456789", min_size=1)))
    if kind == "big_array":
        path, sub = target(lambda p: "array" in types_of(p[1]))
        item = plausible(path[-1], sub.get("items", {}), ctx) if "items" in sub else 0
        return set_at(value, path, [item] * 10_000)
    if kind == "null":
        return set_at(value, target()[0], None)
    if kind == "all_null":
        return {k: None for k in schema.get("properties", {})}
    if kind == "not_object":
        return draw(st.sampled_from([[], [1, 2], ["gift"], [value], "gift", 42, None, True, 1.5]))
    if kind == "bad_enum":
        path, _ = target(lambda p: "enum" in p[1])
        return set_at(value, path, draw(st.sampled_from(["", "FULL", "brief ", "other", "0"])))
    return {}


def draw_examples(strategy, n, seed_value):
    drawn = []

    @seed(seed_value)
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(strategy)
    def collect(value):
        drawn.append(value)

    collect()
    return drawn


def jsonschema_works():
    try:
        probe = {"type": "object", "properties": {"a": {"type": "string"}}}
        draw_examples(from_schema(probe), 3, 0)
        return True
    except Exception:  # noqa: BLE001 - any breakage means: use the translator
        return False


def schema_inputs(tool, ctx, n, seed_value, notes):
    """Valid-looking inputs: hypothesis-jsonschema, then on the stripped schema, then translate."""
    schema = tool["inputSchema"]
    makers = [("hypothesis-jsonschema", lambda: from_schema(schema)),
              ("hypothesis-jsonschema, stripped schema", lambda: from_schema(stripped(schema))),
              ("built-in translator", lambda: translate(schema))]
    if not ctx["jsonschema_ok"]:
        makers = makers[2:]
    for label, make in makers:
        try:
            drawn = draw_examples(planted(make(), ctx), n, seed_value)
            if label != makers[0][0]:
                notes.add(f"{tool['name']}: schema inputs from the {label}")
            return drawn
        except Exception as e:  # noqa: BLE001 - fall back to the next generator
            notes.add(f"{tool['name']}: {label} failed: {type(e).__name__}: {short(str(e), 160)}")
    return []


# ---- the run -----------------------------------------------------------------------------------

class Run:
    """Sends the cases, checks health and tables after each, and keeps the counts."""

    def __init__(self, http, base, tables, transports):
        self.http, self.base, self.tables, self.transports = http, base, tables, transports
        self.stats = defaultdict(lambda: {"sent": 0, "ok": 0, "raw": 0, "refused": Counter()})
        self.failures = {}  # dedupe key -> [tool, transport, what, input, answer, count]
        self.state = None  # the fingerprint known to be current, if any
        self.ids = 0
        self.down = 0  # consecutive failed health checks
        self.unconfirmed = 0  # table changes around a refusal that its replay did not repeat

    def fail(self, tool, transport, what, args, answer):
        shape = re.sub(r"\d+", "N", re.sub(r'"[^"]{0,400}"', '"…"', answer))[:120]
        key = (tool, transport, what, shape)
        if key in self.failures:
            self.failures[key][-1] += 1
        else:
            self.failures[key] = [tool, transport, what, short(args), short(answer), 1]

    def send(self, transport, tool, args):
        self.ids += 1
        return transport.call(tool, args, self.ids)

    def health(self):
        try:
            r = self.http.get(f"{self.base}/healthz", timeout=10)
            return None if r.status_code == 200 else f"HTTP {r.status_code}: {short(r.text)}"
        except httpx.HTTPError as e:
            return f"{type(e).__name__}: {e}"

    def case(self, tool, args):
        for transport in self.transports:
            before = self.state or self.tables.settled()
            out = self.send(transport, tool, args)
            stats = self.stats[(tool, transport.name)]
            stats["sent"] += 1
            stats["raw"] += out.raw
            if out.kind == "ok":
                stats["ok"] += 1
            elif out.kind == "refused":
                stats["refused"][out.code] += 1
            else:
                self.fail(tool, transport.name, out.code, args, out.answer)
            sick = self.health()
            self.down = self.down + 1 if sick else 0
            if sick:
                self.fail(tool, transport.name, "healthz not 200 after the call", args, sick)
            self.state = None
            if out.error_answer:
                self.check_tables(transport, tool, args, before, out)

    def check_tables(self, transport, tool, args, before, out):
        """A refused call leaves the tables as they were; a change is confirmed by a replay."""
        self.state = after = self.tables.take()
        if after == before:
            return
        before = self.tables.settled()
        again = self.send(transport, tool, args)
        after = self.tables.take()
        self.state = after if again.error_answer else None
        if again.error_answer and after != before:
            self.fail(tool, transport.name, "tables changed by a refused call", args,
                      f"{out.code}: {out.answer}; changed: {', '.join(changed(before, after))}")
        else:
            self.unconfirmed += 1


def report(run, tool_names, notes, elapsed, capped, total):
    print(f"{'tool':24} {'transport':9} {'sent':>5} {'ok':>5} {'fail':>4}  refused by code")
    for tool in tool_names:
        for transport in ("rpc", "mcp"):
            s = run.stats.get((tool, transport))
            if not s:
                continue
            fails = sum(f[-1] for f in run.failures.values() if f[:2] == [tool, transport])
            codes = " ".join(f"{c}:{n}" for c, n in s["refused"].most_common())
            raw = f" (raw over /mcp: {s['raw']})" if s["raw"] else ""
            print(f"{tool:24} {transport:9} {s['sent']:>5} {s['ok']:>5} {fails:>4}  {codes}{raw}")
    for note in sorted(notes):
        print(f"note: {note}")
    for tool, transport, what, args, answer, count in run.failures.values():
        print(f"\nFAILURE x{count}: {tool} over {transport}: {what}\n  input:  {args}\n"
              f"  answer: {answer}")
    sent = sum(s["sent"] for s in run.stats.values())
    fails = sum(f[-1] for f in run.failures.values())
    cap = f", stopped at --max-seconds with {total - sent} cases unsent" if capped else ""
    print(f"tool-props: {len(tool_names)} tools, {sent} cases, {fails} failures "
          f"({elapsed:.0f} s{cap})")
    return 1 if fails else 0


def loopback_base(base):
    host = urlsplit(base).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        print(f"tool-props: --base must be a loopback address (127.0.0.1), not {base!r}",
              file=sys.stderr)
        sys.exit(2)
    return base.rstrip("/")


def rpc_result(http, base, method, params=None):
    body = {"jsonrpc": "2.0", "id": 0, "method": method}
    if params is not None:
        body["params"] = params
    answer = http.post(f"{base}/rpc", json=body).json()
    if "result" not in answer:
        raise RuntimeError(f"{method}: {short(answer)}")
    return answer["result"]


def interleave(batches):
    """Round-robin over the tools, so that a run cut short still covers every tool."""
    longest = max((len(b) for b in batches), default=0)
    return [b[i] for i in range(longest) for b in batches if i < len(b)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True, help="http://127.0.0.1:PORT of `giftvec serve`")
    p.add_argument("--database-url", required=True, help="the server's PostgreSQL URL")
    p.add_argument("--examples", type=int, default=40, help="inputs per tool and strategy")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--token", help="bearer token (GIFTVEC_AUTH_TOKEN), if the server wants one")
    p.add_argument("--max-seconds", type=float, default=600, help="wall-clock cap of the run")
    args = p.parse_args()
    started = time.monotonic()
    logging.getLogger("mcp").setLevel(logging.CRITICAL)  # outcomes are reported below
    base = loopback_base(args.base)
    headers = {"authorization": f"Bearer {args.token}"} if args.token else {}
    http = httpx.Client(headers=headers, timeout=CALL_TIMEOUT)
    try:
        tools = rpc_result(http, base, "tools.list")["tools"]
        found = rpc_result(http, base, "search_products", {"query": "gift", "limit": 5})
        tables = Tables(args.database_url)
        mcp = Mcp(http, base, headers)
    except Exception as e:  # noqa: BLE001 - cannot start: say why
        print(f"tool-props: cannot start: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    ctx = {"ids": [r["id"] for r in found.get("results", [])] or ["no-such-product"],
           "jsonschema_ok": jsonschema_works()}
    notes = {f"fingerprinted tables: {', '.join(tables.names)}"}
    if not ctx["jsonschema_ok"]:
        notes.add("hypothesis-jsonschema cannot draw with this Hypothesis (pin"
                  " hypothesis<=6.170.9); schema inputs come from the built-in translator")
    batches = []
    for tool in tools:
        s = args.seed ^ zlib.crc32(tool["name"].encode())
        valid = schema_inputs(tool, ctx, args.examples, s, notes)
        batches.append([(tool["name"], v) for v in valid])
        batches.append([(tool["name"], v) for v in draw_examples(
            hostile(tool["inputSchema"], ctx), args.examples, s + 1)])
    cases = interleave(batches)
    run, capped = Run(http, base, tables, [Rpc(http, base), mcp]), False
    try:
        for i, (tool, value) in enumerate(cases):
            if run.down >= 3:
                break
            if time.monotonic() - started > args.max_seconds:
                capped = True
                break
            run.case(tool, value)
            if i % 100 == 99:
                print(f"tool-props: {i + 1}/{len(cases)} inputs, {len(run.failures)} failure kinds,"
                      f" {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        mcp.close()
    if run.unconfirmed:
        notes.add(f"{run.unconfirmed} table change(s) around a refused call, not repeated by its"
                  " replay (another writer, or a late background write): not counted")
    if run.down >= 3:
        notes.add("stopped early: /healthz failed 3 times in a row; the server is down")
    return report(run, [t["name"] for t in tools], notes, time.monotonic() - started, capped,
                  2 * len(cases))


if __name__ == "__main__":
    sys.exit(main())

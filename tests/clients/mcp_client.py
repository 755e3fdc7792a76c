#!/usr/bin/env python3
"""Drives giftvec with the official MCP Python SDK, for the Rust integration tests.

    mcp_client.py stdio  CALLS_JSON  -- COMMAND [ARGS...]   # spawns `giftvec mcp`
    mcp_client.py http   CALLS_JSON  URL [TOKEN]             # streamable HTTP

CALLS_JSON is {"calls": [{"tool": name, "arguments": {...}}, ...], "reads": [URIs]}. Prints
one JSON object: the server info, the listed tools (name, annotations, whether schemas are
present), each call's isError / structuredContent / first text block / resource links, the
resources with the text read from each, the resource templates, and each of `reads` read (or
the error the client raised).
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def drive(session, calls, reads):
    init = await session.initialize()
    tools = await session.list_tools()
    out = {
        "server": dump(init)["serverInfo"],
        "tools": [
            {
                "name": t.name,
                "readOnlyHint": (t.annotations.read_only_hint if t.annotations else None),
                "has_input_schema": bool(t.input_schema),
                "has_output_schema": bool(t.output_schema),
                "description": t.description,
            }
            for t in tools.tools
        ],
        "calls": [],
        "resources": {},
    }
    for call in calls:
        result = await session.call_tool(call["tool"], call.get("arguments") or {})
        text = next((c.text for c in result.content if getattr(c, "type", "") == "text"), None)
        out["calls"].append({
            "tool": call["tool"],
            "is_error": bool(result.is_error),
            "structured": result.structured_content,
            "text": text,
            "links": [str(c.uri) for c in result.content if getattr(c, "type", "") == "resource_link"],
        })
    resources = await session.list_resources()
    for resource in resources.resources:
        read = await session.read_resource(str(resource.uri))
        content = read.contents[0]
        if (content.mime_type or "").startswith("text/html"):
            # An MCP App view: what a host would load, not JSON.
            out["resources"][str(resource.uri)] = {"mimeType": content.mime_type, "html": content.text}
        else:
            out["resources"][str(resource.uri)] = json.loads(content.text)
    templates = await session.list_resource_templates()
    out["templates"] = [t.uri_template for t in templates.resource_templates]
    out["reads"] = {}
    for uri in reads:
        try:
            read = await session.read_resource(uri)
            out["reads"][uri] = json.loads(read.contents[0].text)
        except Exception as err:  # the error the client raised is what the test checks
            out["reads"][uri] = {"error": str(err)}
    return out


async def main():
    mode, spec = sys.argv[1], json.load(open(sys.argv[2]))
    calls, reads = spec["calls"], spec["reads"]
    if mode == "stdio":
        rest = sys.argv[sys.argv.index("--") + 1:]
        params = StdioServerParameters(command=rest[0], args=rest[1:], env=None)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                result = await drive(session, calls, reads)
    else:
        url = sys.argv[3]
        http_client = None
        if len(sys.argv) > 4:
            from mcp.shared._httpx_utils import create_mcp_http_client
            http_client = create_mcp_http_client(headers={"Authorization": f"Bearer {sys.argv[4]}"})
        async with streamable_http_client(url, http_client=http_client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                result = await drive(session, calls, reads)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env node
// Drives giftvec with the official MCP TypeScript SDK (`@modelcontextprotocol/sdk`, the client
// Claude Code, VS Code and the MCP Inspector run), for the Rust integration tests.
//
//   node mcp_client.cjs stdio CALLS_JSON -- COMMAND [ARGS...]   # spawns `giftvec mcp`
//   node mcp_client.cjs http  CALLS_JSON URL [TOKEN]            # streamable HTTP
//
// GIFTVEC_TEST_NODE_MODULES names the node_modules folder holding the SDK. CALLS_JSON is
// {"calls": [{"tool": name, "arguments": {...}}, ...], "reads": [resource URIs]}. Prints one JSON object of the same shape as
// mcp_client.py: the server info, the listed tools, each call's isError / structuredContent /
// first text block (or, when the SDK itself refused the result, `thrown`: what the model
// would have seen instead) and resource links, the resources with the text read from each,
// the resource templates, and each of `reads` read (or the error the client saw).
"use strict";

const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const modules = process.env.GIFTVEC_TEST_NODE_MODULES;
if (!modules) {
  console.error("set GIFTVEC_TEST_NODE_MODULES to the node_modules folder with the MCP SDK");
  process.exit(2);
}
const sdk = createRequire(path.join(modules, "giftvec-tests.cjs"));
const { Client } = sdk("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } = sdk("@modelcontextprotocol/sdk/client/stdio.js");
const { StreamableHTTPClientTransport } = sdk("@modelcontextprotocol/sdk/client/streamableHttp.js");

function transport(argv) {
  const mode = argv[0];
  if (mode === "stdio") {
    const rest = argv.slice(argv.indexOf("--") + 1);
    return new StdioClientTransport({ command: rest[0], args: rest.slice(1), stderr: "inherit" });
  }
  const [url, token] = [argv[2], argv[3]];
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  return new StreamableHTTPClientTransport(new URL(url), { requestInit });
}

async function drive(client, calls, reads) {
  const tools = await client.listTools();
  const out = {
    server: client.getServerVersion(),
    tools: tools.tools.map((t) => ({
      name: t.name,
      title: t.title ?? null,
      annotations: t.annotations ?? null,
      readOnlyHint: t.annotations?.readOnlyHint ?? null,
      has_input_schema: Boolean(t.inputSchema),
      has_output_schema: Boolean(t.outputSchema),
      description: t.description,
    })),
    calls: [],
    resources: {},
  };
  for (const call of calls) {
    try {
      const result = await client.callTool({ name: call.tool, arguments: call.arguments ?? {} });
      const text = (result.content ?? []).find((c) => c.type === "text");
      out.calls.push({
        tool: call.tool,
        is_error: Boolean(result.isError),
        structured: result.structuredContent ?? null,
        text: text ? text.text : null,
        links: (result.content ?? []).filter((c) => c.type === "resource_link").map((c) => c.uri),
      });
    } catch (err) {
      out.calls.push({ tool: call.tool, thrown: String(err && err.message ? err.message : err) });
    }
  }
  const resources = await client.listResources();
  for (const resource of resources.resources) {
    const read = await client.readResource({ uri: resource.uri });
    const content = read.contents[0];
    // An MCP App view is what a host would load, not JSON.
    out.resources[resource.uri] = (content.mimeType ?? "").startsWith("text/html")
      ? { mimeType: content.mimeType, html: content.text }
      : JSON.parse(content.text);
  }
  const templates = await client.listResourceTemplates();
  out.templates = templates.resourceTemplates.map((t) => t.uriTemplate);
  out.reads = {};
  for (const uri of reads) {
    try {
      const read = await client.readResource({ uri });
      out.reads[uri] = JSON.parse(read.contents[0].text);
    } catch (err) {
      out.reads[uri] = { error: String(err && err.message ? err.message : err) };
    }
  }
  return out;
}

async function main() {
  const argv = process.argv.slice(2);
  const { calls, reads } = JSON.parse(fs.readFileSync(argv[1], "utf8"));
  const client = new Client({ name: "giftvec-tests", version: "1.0.0" });
  await client.connect(transport(argv));
  try {
    process.stdout.write(JSON.stringify(await drive(client, calls, reads)));
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

#!/usr/bin/env node
// Todo Store — an Anna executa in Node (no dependencies), JSON-RPC 2.0 over stdio. Tools `add`,
// `list` and `clear` keep the todo list in host storage via reverse `storage/get` and
// `storage/set` (scope "app"), so every session of the app sees the same list.
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";

const VERSION = "0.1.0";
const KEY = "todos";

const send = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const log = (text) => process.stderr.write(text + "\n"); // stdout carries protocol only

class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// reverse requests (plugin → host); replies arrive on stdin and are matched by id
let nextId = 1;
const waiting = new Map();
function host(method, params, invokeId) {
  const id = `todo-${nextId++}`;
  send({
    jsonrpc: "2.0",
    id,
    method,
    params: { ...params, scope: "app", context: { invoke_id: invokeId } },
  });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

async function load(invokeId) {
  const r = await host("storage/get", { key: KEY }, invokeId);
  return { todos: r.exists ? r.value : [], etag: r.etag };
}

/** Read-modify-write with if_match, retried when another call changed the list meanwhile. */
async function update(invokeId, change) {
  for (let attempt = 0;; attempt++) {
    const { todos, etag } = await load(invokeId);
    const out = change(todos);
    try {
      await host(
        "storage/set",
        { key: KEY, value: todos, ...(etag ? { if_match: etag } : {}) },
        invokeId,
      );
      return out;
    } catch (e) {
      if (e.code !== -32023 || attempt >= 3) throw e; // -32023: etag changed
    }
  }
}

const tools = {
  async add({ text }, invokeId) {
    if (typeof text !== "string" || !text.trim()) {
      return { success: false, error: "text must be a non-empty string" };
    }
    const todo = { id: randomUUID(), text: text.trim(), done: false, created_at: Date.now() };
    const count = await update(invokeId, (todos) => todos.push(todo));
    return { success: true, data: { todo, count } };
  },
  async list(_args, invokeId) {
    return { success: true, data: { todos: (await load(invokeId)).todos } };
  },
  async clear(_args, invokeId) {
    const cleared = await update(invokeId, (todos) => todos.splice(0).length);
    return { success: true, data: { cleared } };
  },
};

const DESCRIBE = {
  name: "todo-store",
  display_name: "Todo Store",
  version: VERSION,
  description: "A todo list kept in host storage.",
  host_capabilities: [],
  tools: [
    {
      name: "add",
      description: "Add a todo.",
      parameters: [{ name: "text", type: "string", description: "What to do.", required: true }],
    },
    { name: "list", description: "List all todos, oldest first.", parameters: [] },
    { name: "clear", description: "Remove every todo.", parameters: [] },
  ],
};

async function handle({ id, method, params = {} }) {
  try {
    let result;
    if (method === "initialize") {
      result = {
        protocolVersion: "2.0",
        serverInfo: { name: "todo-store", version: VERSION },
        capabilities: {},
      };
    } else if (method === "describe") result = DESCRIBE;
    else if (method === "health") result = { status: "ok", version: VERSION };
    else if (method === "invoke") {
      const tool = tools[params.tool];
      if (!tool) throw new RpcError(-32601, `unknown tool: ${params.tool}`);
      const invokeId = params.invoke_id ?? params.context?.invoke_id;
      result = await tool(params.arguments ?? {}, invokeId);
    } else throw new RpcError(-32601, `Method not found: ${method}`);
    send({ jsonrpc: "2.0", id, result });
  } catch (e) {
    if (!(e instanceof RpcError)) log(`todo-store: ${method} failed: ${e.stack ?? e}`);
    send({ jsonrpc: "2.0", id, error: { code: e.code ?? -32603, message: e.message } });
  }
}

createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return log("todo-store: ignoring a line that is not JSON");
    }
    if (msg.method !== undefined) {
      if (msg.id !== undefined && msg.id !== null) handle(msg); // notifications are ignored
      return;
    }
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new RpcError(msg.error.code, msg.error.message));
    else w.resolve(msg.result);
  })
  .on("close", () => process.exit(0)); // stdin closed: the host asked us to stop

log(`todo-store ${VERSION} ready`);

"""Notes Summary — an Anna executa speaking JSON-RPC 2.0 over stdio (Python stdlib only).

The `summarize_notes` tool asks the host to sample an LLM through the reverse request
`sampling/createMessage` and returns {summary, model, usage, stopReason}. Requests are handled on
worker threads so the reader loop can deliver the host's replies to reverse requests.
"""
import json
import sys
import threading
import time
import uuid

VERSION = "0.1.0"
_write_lock = threading.Lock()
_waiting = {}  # reverse request id -> {"event", "response"}
_waiting_lock = threading.Lock()


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def send(msg):
    with _write_lock:
        sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def log(text):
    print(text, file=sys.stderr, flush=True)  # stdout carries protocol only


def call_host(method, params, timeout_s):
    """Sends a reverse request and waits for the host's reply."""
    req_id = uuid.uuid4().hex
    waiter = {"event": threading.Event(), "response": None}
    with _waiting_lock:
        _waiting[req_id] = waiter
    send({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params})
    if not waiter["event"].wait(timeout_s):
        with _waiting_lock:
            _waiting.pop(req_id, None)
        raise RpcError(-32005, "host did not answer %s in time" % method)
    response = waiter["response"]
    if response.get("error") is not None:
        err = response["error"]
        raise RpcError(err.get("code", -32603), err.get("message", "host error"))
    return response.get("result")


DESCRIBE = {
    "name": "notes-summary",
    "display_name": "Notes Summary",
    "version": VERSION,
    "description": "Summarizes ordered notes by asking the Anna host to sample an LLM.",
    "host_capabilities": ["llm.sample"],
    "tools": [
        {
            "name": "summarize_notes",
            "description": "Create a concise summary of ordered notes, with key themes and action items.",
            "parameters": [
                {
                    "name": "notes",
                    "type": "array",
                    "description": "Notes shaped as {id: string, order: integer, content: string}.",
                    "required": True,
                }
            ],
        }
    ],
}

SYSTEM_PROMPT = "You are a concise, accurate note-taking assistant."


def summarize_notes(args, invoke_id, deadline_ms):
    notes = args.get("notes")
    if not isinstance(notes, list) or not notes or not all(isinstance(n, dict) for n in notes):
        return {"success": False, "error": "notes must be a non-empty array of objects"}
    ordered = sorted(notes, key=lambda n: n.get("order", 0))
    listing = "\n".join("%d. %s" % (i + 1, n.get("content", "")) for i, n in enumerate(ordered))
    prompt = (
        "Summarize the notes below, listed in the order they were added.\n"
        "Give a short overall summary, then the main themes and any action items.\n"
        "Do not add information that is not in the notes.\n\nNotes:\n" + listing
    )
    timeout_s = max(1.0, deadline_ms / 1000.0 - time.time()) if deadline_ms else 60.0
    result = call_host(
        "sampling/createMessage",
        {
            "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
            "systemPrompt": SYSTEM_PROMPT,
            "maxTokens": 400,
            "includeContext": "none",
            "metadata": {
                "executa_invoke_id": invoke_id,
                "tool": "summarize_notes",
                "note_count": len(notes),
            },
        },
        timeout_s,
    )
    content = result.get("content") or {}
    if isinstance(content, list):  # a list of blocks: join their texts
        text = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    else:
        text = content.get("text", "")
    return {
        "success": True,
        "tool": "summarize_notes",
        "data": {
            "summary": text,
            "model": result.get("model"),
            "usage": result.get("usage"),
            "stopReason": result.get("stopReason"),
        },
    }


def handle(msg):
    req_id, method, params = msg.get("id"), msg.get("method"), msg.get("params") or {}
    try:
        if method == "initialize":
            result = {
                "protocolVersion": "2.0",
                "serverInfo": {"name": "notes-summary", "version": VERSION},
                "client_capabilities": {"sampling": {}},
                "capabilities": {},
            }
        elif method == "describe":
            result = DESCRIBE
        elif method == "health":
            result = {"status": "ok", "version": VERSION}
        elif method == "shutdown":
            result = {"ok": True}
        elif method == "invoke":
            tool = params.get("tool")
            if tool != "summarize_notes":
                raise RpcError(-32601, "unknown tool: %s" % tool)
            context = params.get("context") or {}
            invoke_id = params.get("invoke_id") or context.get("invoke_id")
            result = summarize_notes(params.get("arguments") or {}, invoke_id, context.get("deadline_ms"))
        else:
            raise RpcError(-32601, "Method not found: %s" % method)
        send({"jsonrpc": "2.0", "id": req_id, "result": result})
    except RpcError as e:
        # a failed sampling call surfaces with the host's own code and message
        send({"jsonrpc": "2.0", "id": req_id, "error": {"code": e.code, "message": e.message}})
    except Exception as e:  # never die on one bad request
        log("notes-summary: %s failed: %r" % (method, e))
        send({"jsonrpc": "2.0", "id": req_id, "error": {"code": -32603, "message": str(e)}})


def main():
    log("notes-summary %s ready" % VERSION)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            log("notes-summary: ignoring a line that is not JSON")
            continue
        if "method" in msg:
            if msg.get("id") is not None:  # notifications such as _cancel_invoke are ignored
                threading.Thread(target=handle, args=(msg,), daemon=True).start()
            continue
        with _waiting_lock:
            waiter = _waiting.pop(msg.get("id"), None)
        if waiter:
            waiter["response"] = msg
            waiter["event"].set()
    return 0  # stdin closed: the host asked us to stop


if __name__ == "__main__":
    sys.exit(main())

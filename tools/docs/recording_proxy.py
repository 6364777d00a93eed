#!/usr/bin/env python3
"""A recording HTTP proxy for data owners: see every request an agent sends, and search it for your own data.

Point the agent at the proxy instead of the server (`fedtune-agent enroll --server http://localhost:9999 ...`). Each
request is forwarded unchanged to --target and one JSON line per request goes to --log: method, path, the
request headers fedtune defines (the update metadata in full), the body's size and SHA-256, the body itself when it
is JSON, and the names, dtypes and shapes of the tensors when it is safetensors. With --data FILE, every request body
and header is also searched for each training text of that JSONL file (its "text", "instruction", "input",
"output" and message "content" values); a hit is recorded as "leaked" and printed.

    python3 tools/docs/recording_proxy.py --listen 9999 --target http://localhost:8080 --log sent.jsonl \
        --data ~/fedtune-data/north.jsonl

Standard library only. For inspection on one machine, not for production traffic.
"""
import argparse
import hashlib
import http.client
import http.server
import json
import struct
import sys
import threading
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host"}


def texts_of(path):
    found = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            for key in ("text", "instruction", "input", "output"):
                if isinstance(obj.get(key), str) and len(obj[key]) >= 8:
                    found.append(obj[key])
            for message in obj.get("messages", []) or []:
                if isinstance(message, dict) and isinstance(message.get("content"), str) and len(message["content"]) >= 8:
                    found.append(message["content"])
    return found


def safetensors_summary(body):
    if len(body) < 8:
        return None
    (n,) = struct.unpack("<Q", body[:8])
    if n <= 0 or 8 + n > len(body):
        return None
    try:
        header = json.loads(body[8:8 + n])
    except ValueError:
        return None
    return {name: [info.get("dtype"), info.get("shape")] for name, info in header.items() if name != "__metadata__"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, default=9999)
    parser.add_argument("--target", required=True, help="the server the agent would talk to, e.g. http://localhost:8080")
    parser.add_argument("--log", required=True, help="where the JSON lines go")
    parser.add_argument("--data", action="append", default=[], help="a JSONL training file to search for (repeatable)")
    args = parser.parse_args()

    target = urllib.parse.urlsplit(args.target)
    secrets = [t for path in args.data for t in texts_of(path)]
    lock = threading.Lock()
    log = open(args.log, "a", encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record = {"method": self.command, "path": self.path.split("?")[0], "bytes": len(body),
                      "sha256": hashlib.sha256(body).hexdigest() if body else None}
            meta = self.headers.get("Fedtune-Update-Metadata")
            if meta:
                record["Fedtune-Update-Metadata"] = json.loads(meta)
            ctype = self.headers.get("Content-Type", "")
            if body and "json" in ctype:
                record["json"] = json.loads(body)
            elif body and "form-urlencoded" in ctype:
                record["form"] = sorted(urllib.parse.parse_qs(body.decode()).keys())
            elif body:
                tensors = safetensors_summary(body)
                if tensors is not None:
                    record["tensors"] = tensors
            haystack = body + json.dumps(dict(self.headers)).encode()
            leaked = [t for t in secrets if t.encode() in haystack]
            if secrets:
                record["leaked"] = len(leaked)
            if leaked:
                print("LEAK in %s %s: %r" % (self.command, self.path, leaked[0]), file=sys.stderr)

            conn_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
            conn = conn_class(target.hostname, target.port, timeout=600)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            record["status"] = resp.status
            record["response_bytes"] = len(data)
            with lock:
                log.write(json.dumps(record) + "\n")
                log.flush()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen), Handler)
    print("recording proxy on http://localhost:%d -> %s, log %s, %d training texts to look for"
          % (args.listen, args.target, args.log, len(secrets)), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""End-to-end test of examples/todo_api (the framework's worked example) with curl over
HTTP/1.1 and h2c (prior knowledge): every route, every error path and the built-ins.

    tests/web/todo_api_test.py BUILD/examples/todo_api

The server runs on a free port with its own token; it is killed by PID at the end. Every curl
call is bounded by --max-time."""
import json
import os
import re
import subprocess
import sys
import time

BIN = sys.argv[1]
TOKEN = "test-token-42"
failures = []


def check(name, cond, detail=""):
    if cond:
        print("ok:", name)
    else:
        print("FAIL:", name, detail)
        failures.append(name)


def start():
    env = dict(os.environ, TODO_API_TOKEN=TOKEN)
    p = subprocess.Popen([BIN, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, text=True)
    line = p.stdout.readline()
    m = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        sys.exit("server did not start: " + line)
    return p, int(m.group(1))


class Resp:
    def __init__(self, status, headers, body, version):
        self.status, self.headers, self.body, self.version = status, headers, body, version

    def json(self):
        return json.loads(self.body)


def request(port, method, path, body=None, headers=(), h2=False, auth=None):
    args = ["curl", "-sS", "--max-time", "5", "-i", "-X", method]
    if method == "HEAD":
        args = ["curl", "-sS", "--max-time", "5", "-i", "-I"]
    args.append("--http2-prior-knowledge" if h2 else "--http1.1")
    if auth is not None:
        args += ["-H", "authorization: " + auth]
    for h in headers:
        args += ["-H", h]
    if body is not None:
        args += ["-H", "content-type: application/json", "--data-binary", body]
    args.append("http://127.0.0.1:%d%s" % (port, path))
    out = subprocess.run(args, capture_output=True, timeout=10).stdout.decode("utf-8", "replace")
    head, _, payload = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    version, status = lines[0].split(" ")[0], int(lines[0].split(" ")[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    return Resp(status, hdrs, payload, version)


def error_shape(r, status, error=None):
    try:
        j = r.json()
    except Exception:
        return False
    ok = j.get("statusCode") == status and "message" in j
    if error is not None:
        ok = ok and j.get("error") == error
    return ok


def run_suite(port, h2):
    tag = "h2c" if h2 else "http/1.1"
    auth = "Bearer " + TOKEN

    def req(*a, **k):
        return request(port, *a, h2=h2, **k)

    r = req("GET", "/todos")
    check(tag + " GET /todos 200", r.status == 200, r.status)
    check(tag + " protocol", r.version == ("HTTP/2" if h2 else "HTTP/1.1"), r.version)
    check(tag + " GET /todos JSON array", isinstance(r.json(), list))

    r = req("POST", "/todos", body='{"title":"first"}', auth=auth)
    check(tag + " POST 201", r.status == 201, (r.status, r.body))
    t = r.json()
    check(tag + " POST shape", set(t) == {"id", "title", "done", "created_at"} and
          t["title"] == "first" and t["done"] is False, t)
    check(tag + " POST created_at ISO", re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                                                t.get("created_at", "")) is not None, t)
    check(tag + " POST Location", r.headers.get("location") == "/todos/%d" % t["id"], r.headers)
    tid = t["id"]

    r = req("POST", "/todos", body='{"title":"second","done":true}', auth=auth)
    check(tag + " POST done=true", r.status == 201 and r.json()["done"] is True, r.body)

    r = req("GET", "/todos/%d" % tid)
    check(tag + " GET one", r.status == 200 and r.json()["title"] == "first", r.body)
    r = req("GET", "/todos/999999")
    check(tag + " GET missing 404", r.status == 404 and error_shape(r, 404, "Not Found") and
          "999999" in r.json()["message"], r.body)
    for bad in ("abc", "0", "-3", "1.5"):
        r = req("GET", "/todos/" + bad)
        check(tag + " GET bad id %s 400" % bad, r.status == 400 and error_shape(r, 400, "Bad Request")
              and isinstance(r.json()["message"], list), (r.status, r.body))

    r = req("GET", "/todos?done=true")
    check(tag + " filter done=true", r.status == 200 and all(x["done"] for x in r.json()) and
          len(r.json()) >= 1, r.body)
    r = req("GET", "/todos?done=false&limit=1&offset=0")
    check(tag + " limit=1", r.status == 200 and len(r.json()) == 1, r.body)
    r = req("GET", "/todos?limit=0")
    check(tag + " limit=0 400", r.status == 400 and error_shape(r, 400), r.body)
    r = req("GET", "/todos?limit=101&offset=-1&done=maybe")
    msgs = r.json().get("message", []) if r.status == 400 else []
    check(tag + " three query violations in one 400", r.status == 400 and len(msgs) == 3,
          (r.status, r.body))

    # Auth: reads are public; mutations need the token.
    r = req("POST", "/todos", body='{"title":"x"}')
    check(tag + " POST no token 401", r.status == 401 and error_shape(r, 401), (r.status, r.body))
    r = req("POST", "/todos", body='{"title":"x"}', auth="Bearer wrong")
    check(tag + " POST wrong token 403", r.status == 403 and error_shape(r, 403), (r.status, r.body))
    r = req("DELETE", "/todos/%d" % tid)
    check(tag + " DELETE no token 401", r.status == 401, r.status)
    r = req("PATCH", "/todos/%d" % tid, body='{"done":true}', auth="Bearer nope")
    check(tag + " PATCH wrong token 403", r.status == 403, r.status)

    # Validation: every violation listed, unknown fields rejected, bad JSON.
    r = req("POST", "/todos", body='{"title":"","done":"yes","extra":1}', auth=auth)
    msgs = r.json().get("message", []) if r.status == 400 else []
    check(tag + " POST invalid: 400 listing 3", r.status == 400 and error_shape(r, 400, "Bad Request")
          and len(msgs) == 3 and any("extra" in m for m in msgs), (r.status, r.body))
    r = req("POST", "/todos", body='{"title":"' + "x" * 201 + '"}', auth=auth)
    check(tag + " POST title too long 400", r.status == 400, r.status)
    r = req("POST", "/todos", body='{}', auth=auth)
    check(tag + " POST title missing 400", r.status == 400 and "title" in " ".join(r.json()["message"]),
          r.body)
    r = req("POST", "/todos", body='{"title": "x",', auth=auth)
    check(tag + " POST bad JSON 400", r.status == 400 and error_shape(r, 400), (r.status, r.body))
    r = req("POST", "/todos", body='[1,2]', auth=auth)
    check(tag + " POST array body 400", r.status == 400, r.status)

    r = req("PATCH", "/todos/%d" % tid, body='{"done":true}', auth=auth)
    check(tag + " PATCH 200", r.status == 200 and r.json()["done"] is True and
          r.json()["title"] == "first", r.body)
    r = req("PATCH", "/todos/%d" % tid, body='{"title":""}', auth=auth)
    check(tag + " PATCH invalid 400", r.status == 400, r.status)
    r = req("PATCH", "/todos/999999", body='{"done":true}', auth=auth)
    check(tag + " PATCH missing 404", r.status == 404, r.status)

    r = req("DELETE", "/todos/%d" % tid, auth=auth)
    check(tag + " DELETE 204", r.status == 204 and r.body == "", (r.status, r.body))
    r = req("DELETE", "/todos/%d" % tid, auth=auth)
    check(tag + " DELETE again 404", r.status == 404, r.status)
    r = req("GET", "/todos/%d" % tid)
    check(tag + " GET deleted 404", r.status == 404, r.status)

    # Routing errors.
    r = req("GET", "/nope")
    check(tag + " unknown route 404", r.status == 404 and error_shape(r, 404, "Not Found"), r.body)
    r = req("PUT", "/todos/1", body='{}', auth=auth)
    check(tag + " wrong method 405 + Allow", r.status == 405 and
          "PATCH" in r.headers.get("allow", "") and "DELETE" in r.headers.get("allow", ""),
          (r.status, r.headers))

    # CORS: any origin may read; preflights for reads pass, mutations are not offered.
    r = req("GET", "/todos", headers=["origin: https://example.com"])
    check(tag + " CORS read", r.headers.get("access-control-allow-origin") == "*", r.headers)
    r = req("OPTIONS", "/todos", headers=["origin: https://example.com",
                                          "access-control-request-method: GET"])
    check(tag + " CORS preflight", r.status == 204 and
          "GET" in r.headers.get("access-control-allow-methods", ""), (r.status, r.headers))
    check(tag + " CORS preflight: no mutations",
          "POST" not in r.headers.get("access-control-allow-methods", ""), r.headers)

    # Built-ins.
    r = req("GET", "/healthz")
    check(tag + " /healthz", r.status == 200 and r.json()["status"] == "ok", r.body)
    r = req("GET", "/metrics")
    check(tag + " /metrics", r.status == 200 and "strata_http_requests_total" in r.body and
          'route="/todos/:id"' in r.body, r.body[:200])
    r = req("GET", "/openapi.json")
    doc = r.json() if r.status == 200 else {}
    check(tag + " /openapi.json", doc.get("openapi", "").startswith("3.") and
          "/todos/{id}" in doc.get("paths", {}) and
          set(doc["paths"]["/todos/{id}"]) >= {"get", "patch", "delete"} and
          "requestBody" in doc["paths"]["/todos"]["post"], json.dumps(doc)[:300])


def rate_limit(port):
    # 60 in a burst pass, then 429 with Retry-After; /healthz is not limited.
    import tempfile
    tmp = tempfile.mkdtemp()
    args = ["curl", "-sS", "--max-time", "10", "-w", "%{http_code}\\n"]
    for _ in range(69):  # one connection, reused: 70 requests well inside a second
        args += ["-o", "/dev/null", "http://127.0.0.1:%d/todos" % port]
    args += ["-D", tmp + "/head", "-o", tmp + "/body", "http://127.0.0.1:%d/todos" % port]
    out = subprocess.run(args, capture_output=True, timeout=30).stdout.decode().split()
    statuses = [int(s) for s in out]
    check("rate limit: burst of 60 then 429", statuses.count(200) >= 60 and statuses[-1] == 429
          and statuses.count(429) >= 5, statuses)
    head = open(tmp + "/head").read().lower()
    body = open(tmp + "/body").read()
    m = re.search(r"^retry-after: *(\d+)", head, re.M)
    check("rate limit: 429 body and Retry-After", m is not None and int(m.group(1)) >= 1 and
          error_shape(Resp(429, {}, body, ""), 429), (head, body))
    r = request(port, "GET", "/healthz")
    check("rate limit: /healthz exempt", r.status == 200, r.status)
    time.sleep(1.1)
    r = request(port, "GET", "/todos")
    check("rate limit: refilled after a second", r.status == 200, r.status)


def main():
    p, port = start()
    try:
        run_suite(port, h2=False)
        # Rate limit budget: each suite makes ~45 requests; wait for a full bucket.
        time.sleep(2.2)
        run_suite(port, h2=True)
        time.sleep(2.2)
        rate_limit(port)
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            failures.append("server did not stop on SIGTERM")
    check("server exit status 0", p.returncode == 0, p.returncode)
    if failures:
        print("%d failure(s): %s" % (len(failures), ", ".join(failures)))
        sys.exit(1)


main()

#!/usr/bin/env python3
"""A stateful AWS peer for devloop's tests, reached over real HTTP like the live endpoints.

moto serves everything it models (S3, ECR, ECS CRUD, CloudWatch, Logs, IAM, EC2 ...). On top of
it, modules of our own (`eb.py`, `ecs.py`) answer the calls moto lacks and the states that change
over time, in the bytes the *live* services send, quirks included (shared/AWS.md, "Where the live
APIs differ"): scenarios are scripted through a small control API under `/_peer/` and move along
the clock. Every AWS call is logged so tests can count what devloop did.

    python3 tests/peer/awspeer.py --port 5123

Control API (JSON in and out):
    GET    /_peer/health               -> {"ok": true}
    GET    /_peer/calls                -> [{"service", "action", "params", "json", "at",
                                            "throttled"?}, ...]
    DELETE /_peer/calls                -> forget the log
    POST   /_peer/throttle             {"service", "action" ("*" = all), "count": N}
                                       (with "code" [and "message", "status"]: those calls
                                       answer that error instead, e.g. AccessDeniedException)
                                       or {"service", "action", "rate": per_s, "burst": N}
                                       optional "status" (400 = Throttling, 500/503 = server error)
    DELETE /_peer/throttle             -> no throttling
    POST   /_peer/<module>/<name>      -> the module's own controls (see eb.py, ecs.py)
"""

import argparse
import io
import json
import sys
import threading
import time
import urllib.parse
import uuid


ACCOUNT = "123456789012"

# (service, action) -> fn(Request) -> Response or None (None: moto answers).
HANDLERS = {}
# (service, action) -> fn(Request, Response) -> Response: rewrite moto's answer.
AFTER = {}
# "module/name" -> fn(payload dict) -> JSON-able answer.
CONTROLS = {}

LOCK = threading.RLock()
CALLS = []
THROTTLES = []

QUERY_NAMESPACES = {
    "elasticbeanstalk": "http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


def handler(service, action):
    def register(fn):
        HANDLERS[(service, action)] = fn
        return fn

    return register


def after(service, action):
    def register(fn):
        AFTER[(service, action)] = fn
        return fn

    return register


def control(name):
    def register(fn):
        CONTROLS[name] = fn
        return fn

    return register


class Request:
    """One AWS request as the peer sees it."""

    def __init__(self, environ, body):
        self.environ = environ
        self.body = body
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "")
        self.headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        self.service, self.region = _scope(self.headers.get("authorization", ""))
        self.params = {}
        self.json = None
        self.action = None
        target = self.headers.get("x-amz-target")
        if target:
            self.action = target.split(".")[-1]
            try:
                self.json = json.loads(body or b"{}")
            except ValueError:
                self.json = None
        else:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            ctype = self.headers.get("content-type", "")
            if ctype.startswith("application/x-www-form-urlencoded") and body:
                query.update(urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True))
            self.params = {k: v[-1] for k, v in query.items()}
            self.action = self.params.get("Action")
        self.request_id = str(uuid.uuid4())

    def members(self, prefix):
        """Query-protocol lists: Foo.member.1, Foo.member.2 ... -> [..]."""
        out = []
        i = 1
        while f"{prefix}.member.{i}" in self.params:
            out.append(self.params[f"{prefix}.member.{i}"])
            i += 1
        return out

    def structs(self, prefix):
        """Query-protocol lists of structures: Foo.member.1.Bar=... -> [{"Bar": ...}, ...]."""
        out = []
        i = 1
        while True:
            head = f"{prefix}.member.{i}."
            item = {k[len(head):]: v for k, v in self.params.items() if k.startswith(head)}
            if not item:
                return out
            out.append(item)
            i += 1


class Response:
    def __init__(self, status=200, headers=None, body=b""):
        self.status = status
        self.headers = list(headers or [])
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def _scope(auth):
    # "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticbeanstalk/aws4_request, ..."
    try:
        cred = auth.split("Credential=")[1].split(",")[0]
        _, _, region, service, _ = cred.split("/")
        return service.lower(), region
    except (IndexError, ValueError):
        return None, "us-east-1"


def is_query(service):
    return service in QUERY_NAMESPACES


def query_response(req, action, inner_xml):
    """A query-protocol (awsQuery) success body, as Elastic Beanstalk and CloudWatch send it."""
    ns = QUERY_NAMESPACES[req.service]
    body = (
        f'<{action}Response xmlns="{ns}">\n'
        f"  <{action}Result>{inner_xml}</{action}Result>\n"
        f"  <ResponseMetadata>\n    <RequestId>{req.request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</{action}Response>\n"
    )
    return Response(
        200,
        [("Content-Type", "text/xml"), ("x-amzn-RequestId", req.request_id)],
        body,
    )


def json_response(req, obj, status=200):
    return Response(
        status,
        [("Content-Type", JSON_CONTENT_TYPE), ("x-amzn-RequestId", req.request_id)],
        json.dumps(obj),
    )


def error(req, status, code, message, sender=True):
    """An error in the service's own protocol."""
    if is_query(req.service):
        ns = QUERY_NAMESPACES[req.service]
        kind = "Sender" if sender else "Receiver"
        body = (
            f'<ErrorResponse xmlns="{ns}">\n  <Error>\n    <Type>{kind}</Type>\n'
            f"    <Code>{code}</Code>\n    <Message>{xml_escape(message)}</Message>\n  </Error>\n"
            f"  <RequestId>{req.request_id}</RequestId>\n</ErrorResponse>\n"
        )
        return Response(
            status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", req.request_id)], body
        )
    return Response(
        status,
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("x-amzn-RequestId", req.request_id),
            ("x-amzn-ErrorType", code),
        ],
        json.dumps({"__type": code, "message": message}),
    )


def xml_escape(text):
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def iso(ts):
    """Epoch seconds -> the ISO 8601 form the query protocols send (millisecond precision)."""
    ms = int(round((ts % 1) * 1000))
    if ms == 1000:
        ts, ms = int(ts) + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts))) + f".{ms:03d}Z"


def parse_time(text):
    """ISO 8601 (query protocol) or epoch seconds (JSON protocols) -> epoch seconds."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return float(text)
    except ValueError:
        pass
    import datetime

    t = text.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(t).timestamp()


def _throttled(req):
    now = time.monotonic()
    with LOCK:
        for rule in THROTTLES:
            if rule["service"] != req.service or rule["action"] not in ("*", req.action):
                continue
            if "count" in rule:
                if rule["count"] > 0:
                    rule["count"] -= 1
                    return rule
                continue
            # token bucket
            rate, burst = float(rule["rate"]), float(rule.get("burst", 1))
            tokens = min(burst, rule.get("tokens", burst) + (now - rule.get("at", now)) * rate)
            rule["at"] = now
            if tokens >= 1:
                rule["tokens"] = tokens - 1
            else:
                rule["tokens"] = tokens
                return rule
    return None


def _throttle_response(req, rule):
    status = int(rule.get("status", 400))
    if "code" in rule:  # an injected refusal: {"code": "AccessDeniedException", "message": ...}
        return error(req, status, rule["code"], rule.get("message", "injected by the peer"))
    if status >= 500:
        code = "ServiceUnavailable" if status == 503 else "InternalFailure"
        return error(req, status, code, "Service is unavailable. Try again later.", sender=False)
    if is_query(req.service):
        return error(req, 400, "Throttling", "Rate exceeded")
    return error(req, 400, "ThrottlingException", "Rate exceeded")


class Peer:
    def __init__(self):
        # moto reads MOTO_PORT (path-style S3 on this host) when it is imported.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "")
        try:
            if path.startswith("/_peer/"):
                resp = self.control(environ, path, body)
            else:
                resp = self.aws(environ, body)
        except Exception as exc:  # a bug in the peer: say so loudly, as a 500 the test will see
            import traceback

            traceback.print_exc()
            resp = Response(500, [("Content-Type", "text/plain")], f"peer error: {exc!r}")
        start_response(f"{resp.status} X", resp.headers + [("Content-Length", str(len(resp.body)))])
        return [resp.body]

    def control(self, environ, path, body):
        method = environ.get("REQUEST_METHOD")
        payload = json.loads(body or b"{}")
        name = path[len("/_peer/"):].strip("/")
        answer = None
        if name == "health":
            answer = {"ok": True}
        elif name == "calls":
            with LOCK:
                if method == "DELETE":
                    CALLS.clear()
                answer = list(CALLS)
        elif name == "throttle":
            with LOCK:
                if method == "DELETE":
                    THROTTLES.clear()
                else:
                    THROTTLES.append(dict(payload))
            answer = {"ok": True}
        elif name in CONTROLS:
            answer = CONTROLS[name](payload)
        else:
            return Response(404, [("Content-Type", "text/plain")], f"no control {name}")
        return Response(200, [("Content-Type", "application/json")], json.dumps(answer))

    def aws(self, environ, body):
        req = Request(environ, body)
        call = {
            "service": req.service,
            "action": req.action,
            "params": req.params,
            "json": req.json,
            "method": req.method,
            "path": req.path,
            "headers": {
                k: v
                for k, v in req.headers.items()
                if k.startswith("if-") or k == "x-amz-target"
            },
            "at": time.time(),
        }
        with LOCK:
            CALLS.append(call)
        rule = _throttled(req)
        if rule is not None:
            with LOCK:
                call["throttled"] = True
            return _throttle_response(req, rule)
        fn = HANDLERS.get((req.service, req.action))
        if fn is not None:
            resp = fn(req)
            if resp is not None:
                return resp
        resp = self.call_moto(environ)
        post = AFTER.get((req.service, req.action))
        if post is not None:
            resp = post(req, resp)
        return resp

    def call_moto(self, environ):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = [
                (k, v) for k, v in headers if k.lower() not in ("content-length",)
            ]

        chunks = self.moto(environ, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return Response(captured.get("status", 500), captured.get("headers", []), body)


def load_modules():
    import importlib
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    for name in ("eb", "ecs", "iam", "s3", "servicediscovery"):
        if os.path.exists(os.path.join(here, f"{name}.py")):
            importlib.import_module(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0: any free port")
    parser.add_argument("--port-file", help="where to write the port, once it listens")
    args = parser.parse_args()
    import os
    import socket

    # Bound here, before anything else, so a port is never chosen by one process and taken by
    # another (tests start many peers at once).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(128)
    args.port = listener.getsockname()[1]
    os.environ.setdefault("MOTO_PORT", str(args.port))
    # AWS-managed IAM policies exist, as on the live service (a task execution role attaches one).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    sys.modules.setdefault("awspeer", sys.modules[__name__])
    load_modules()
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, Peer(), threaded=True, fd=listener.fileno())
    print(f"awspeer listening on {args.host}:{args.port}", flush=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(args.port))
        os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

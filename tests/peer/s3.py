"""S3 as a bucket policy without s3:ListBucket makes it answer (loaded by awspeer.py).

Live S3 tells a missing key from a refused one only to callers allowed s3:ListBucket: for the
others a HEAD (or GET) of a missing key answers 403 with no body, never 404, so the SDK gives
the error no code at all. moto always answers 404. A conditional PutObject with
`If-None-Match: *` (412 when the key exists) is moto's own and works as live.

Controls (POST /_peer/s3/<name>, JSON):

  s3/deny_list   {"bucket"}   from now on, a HEAD of a missing key in that bucket answers a bare 403
"""

import awspeer as P

DENIED = set()


@P.control("s3/deny_list")
def deny_list(payload):
    DENIED.add(payload["bucket"])
    return {"ok": True}


@P.after("s3", None)
def bare_403(req, resp):
    bucket = req.path.lstrip("/").split("/", 1)[0]
    if req.method == "HEAD" and bucket in DENIED and resp.status == 404:
        return P.Response(
            403,
            [("x-amz-request-id", req.request_id), ("Content-Type", "application/xml")],
            b"",
        )
    return resp

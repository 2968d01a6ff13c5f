"""Cloud Map (servicediscovery) as the live service answers it, on top of moto (loaded by
awspeer.py), for the namespace a set's services find each other in through ECS Service Connect.

moto makes and deletes a namespace at once, reports every operation SUCCESS, and deletes a
namespace that still has services in it. Live Cloud Map:

* runs CreateHttpNamespace and DeleteNamespace as operations that are SUBMITTED, then PENDING,
  then SUCCESS (0.6 s here; control servicediscovery/operation_seconds), followed with GetOperation;
* refuses DeleteNamespace with ResourceInUse while services are registered in it (ECS Service
  Connect registers one per published port and leaves it when its ECS service is deleted:
  ecs.py does both);
* refuses a second namespace of a name (NamespaceAlreadyExists) unless the request repeats the
  same CreatorRequestId;
* leaves out of ListServices and GetService the members a service does not have (moto writes
  null or {}, and the SDK cannot read an empty HealthCheckConfig).
"""

import json
import time

import awspeer as P
from moto.servicediscovery.models import servicediscovery_backends

OPERATION_SECONDS = [0.6]  # servicediscovery/operation_seconds


def backend(region):
    return servicediscovery_backends[P.ACCOUNT][region]


@P.handler("servicediscovery", "DeleteNamespace")
def delete_namespace(req):
    ns_id = (req.json or {}).get("Id", "")
    with P.LOCK:
        b = backend(req.region)
        if ns_id in b.namespaces and any(s.namespace_id == ns_id for s in b.services.values()):
            return P.error(req, 400, "ResourceInUse",
                           f"Namespace {ns_id} has associated services.")
    return None


@P.handler("servicediscovery", "CreateHttpNamespace")
def create_http_namespace(req):
    body = req.json or {}
    with P.LOCK:
        for ns in backend(req.region).namespaces.values():
            if ns.name == body.get("Name"):
                if ns.creator_request_id == body.get("CreatorRequestId"):
                    return None
                return P.error(req, 400, "NamespaceAlreadyExists",
                               f"Namespace with name {ns.name} already exists.")
    return None


@P.after("servicediscovery", "GetOperation")
def get_operation(req, resp):
    """An operation is SUBMITTED, then PENDING, then SUCCESS as its time passes."""
    if resp.status != 200:
        return resp
    body = json.loads(resp.body)
    op = body.get("Operation", {})
    created = op.get("CreateDate")
    if isinstance(created, (int, float)):
        age = time.time() - created
        if age < OPERATION_SECONDS[0] / 3:
            op["Status"] = "SUBMITTED"
        elif age < OPERATION_SECONDS[0]:
            op["Status"] = "PENDING"
    return P.json_response(req, body)


@P.control("servicediscovery/operation_seconds")
def control_operation_seconds(payload):
    """How long an operation takes to succeed."""
    with P.LOCK:
        OPERATION_SECONDS[0] = float(payload.get("seconds", 0.6))
    return {"ok": True}


def without_absent(item):
    """Live Cloud Map leaves out a member a service does not have; moto writes null or {}
    (and an empty HealthCheckConfig is one the SDK cannot read: its Type is required)."""
    return {k: v for k, v in item.items() if v not in (None, {}, [])}


@P.after("servicediscovery", "ListServices")
def list_services(req, resp):
    if resp.status != 200:
        return resp
    body = json.loads(resp.body)
    body["Services"] = [without_absent(s) for s in body.get("Services", [])]
    return P.json_response(req, body)


@P.after("servicediscovery", "GetService")
def get_service(req, resp):
    if resp.status != 200:
        return resp
    body = json.loads(resp.body)
    if "Service" in body:
        body["Service"] = without_absent(body["Service"])
    return P.json_response(req, body)

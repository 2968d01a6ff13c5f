#!/usr/bin/env python3
"""Self-test of ecs.py: starts awspeer.py on a free port and drives it with boto3.

    python3 tests/peer/test_ecs.py      (exit status 0 = every check passed)
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
SCALE = 0.4  # every scripted time below is multiplied by this


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="awspeer-", suffix=".log")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "awspeer.py"), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.control("health", method="GET")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("awspeer did not start")

    def control(self, name, payload=None, method="POST"):
        data = None if method == "GET" else json.dumps(payload or {}).encode()
        req = urllib.request.Request(f"{self.url}/_peer/{name}", data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def client(self, service, retries=3):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"}),
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.seek(0)
        errors = [line for line in self.log if "Traceback" in line or "peer error" in line]
        self.log.close()
        check(not errors, f"the peer logged errors: {errors}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def error_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as exc:
        return exc.response["Error"]["Code"], exc.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} did not fail")


def raw_bodies(client, action):
    """Every raw response body of `action` from now on, to check the bytes, not boto3's view."""
    seen = []
    client.meta.events.register(
        f"after-call.ecs.{action}",
        lambda http_response, **_: seen.append(json.loads(http_response.content)),
    )
    return seen


def wait_for(fn, what, timeout=10.0):
    """Poll `fn` until it returns something true; every value seen is returned with it."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        seen.append(value)
        if value:
            return value, seen
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# --- fixtures ----------------------------------------------------------------------------------


def task_def(ecs, image, family="web", **extra):
    args = dict(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1 vCPU",
        memory="2 GB",
        containerDefinitions=[{"name": "app", "image": image,
                               "portMappings": [{"containerPort": 8080}]}],
    )
    args.update(extra)
    return ecs.register_task_definition(**args)["taskDefinition"]["taskDefinitionArn"]


def network(ec2):
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}


def new_service(ecs, ec2, name, revision, desired=2):
    return ecs.create_service(
        cluster="main", serviceName=name, taskDefinition=revision, desiredCount=desired,
        launchType="FARGATE", networkConfiguration=network(ec2),
    )["service"]


def describe(ecs, name):
    return ecs.describe_services(cluster="main", services=[name])["services"][0]


def summary(svc):
    return [(d["status"], d["taskDefinition"].split("/")[-1], d["rolloutState"],
             d["runningCount"], d["pendingCount"], d["failedTasks"], d["desiredCount"])
            for d in svc["deployments"]]


# --- checks ------------------------------------------------------------------------------------


def test_task_definitions(ecs):
    raw = raw_bodies(ecs, "DescribeTaskDefinition")
    arn = task_def(ecs, "app:1", family="units")
    td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    check((td["cpu"], td["memory"]) == ("1024", "2048"), f"units kept: {td['cpu']} {td['memory']}")
    c = td["containerDefinitions"][0]
    check(c["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
          f"port mappings {c['portMappings']}")
    for field, value in (("cpu", 0), ("essential", True), ("environment", []),
                         ("mountPoints", []), ("volumesFrom", []), ("systemControls", [])):
        check(c.get(field) == value, f"container {field} = {c.get(field)!r}")
    check(td["volumes"] == [] and td["placementConstraints"] == [], "task-level empty lists")
    body = raw[-1]["taskDefinition"]
    check(isinstance(body["registeredAt"], (int, float)), "registeredAt is epoch seconds on the wire")
    check(body["registeredBy"].startswith("arn:aws:iam::"), "registeredBy")

    half = ecs.register_task_definition(
        family="half", cpu=".5 vcpu", memory="0.5GB", requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "a", "image": "x", "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]
    check((half["cpu"], half["memory"]) == ("512", "512"), f"half units {half['cpu']} {half['memory']}")
    check(half["containerDefinitions"][0]["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}],
          "bridge mode keeps hostPort unset")
    plain = ecs.register_task_definition(
        family="plain", cpu="256", memory="512",
        containerDefinitions=[{"name": "a", "image": "x"}],
    )["taskDefinition"]
    check((plain["cpu"], plain["memory"]) == ("256", "512"), "plain numbers unchanged")
    check(plain["revision"] == 1 and half["revision"] == 1, "revisions per family")


def test_create_service(ecs, ec2, rev1):
    created = new_service(ecs, ec2, "web", rev1)
    check(summary(created) == [("PRIMARY", "web:1", "COMPLETED", 2, 0, 0, 2)],
          f"created: {summary(created)}")
    svc = describe(ecs, "web")
    check(svc["deployments"][0]["id"] == created["deployments"][0]["id"], "same deployment")
    dep_id = svc["deployments"][0]["id"]
    check(dep_id.startswith("ecs-svc/") and len(dep_id) == len("ecs-svc/") + 19, f"id {dep_id}")
    check((svc["runningCount"], svc["pendingCount"]) == (2, 0), "service counts")
    check(svc["events"][0]["message"] == "(service web) has reached a steady state.",
          f"first event {svc['events'][0]}")


def test_completes(peer, ecs, rev1, rev2):
    raw = raw_bodies(ecs, "DescribeServices")
    peer.control("ecs/script", {"cluster": "main", "service": "web", "updates": ["completes"],
                                "scale": SCALE})
    updated = ecs.update_service(cluster="main", service="web", taskDefinition="web:2")["service"]
    check(updated["taskDefinition"] == rev2, f"service taskDefinition {updated['taskDefinition']}")
    check(summary(updated) == [("PRIMARY", "web:2", "IN_PROGRESS", 0, 2, 0, 2),
                               ("ACTIVE", "web:1", "COMPLETED", 2, 0, 0, 2)],
          f"right after UpdateService: {summary(updated)}")
    new_id = updated["deployments"][0]["id"]
    polled = []

    def completed():
        svc = describe(ecs, "web")
        polled.append(svc)
        return svc if len(svc["deployments"]) == 1 else None

    done, _ = wait_for(completed, "the deployment to complete")
    check(summary(done) == [("PRIMARY", "web:2", "COMPLETED", 2, 0, 0, 2)], f"done: {summary(done)}")
    check(done["deployments"][0]["id"] == new_id, "the new deployment completed")
    check(done["deployments"][0]["rolloutStateReason"] == f"ECS deployment {new_id} completed.",
          "completed reason")
    midway = [summary(s) for s in polled if len(s["deployments"]) == 2]
    check([("PRIMARY", "web:2", "IN_PROGRESS", 2, 0, 0, 2),
           ("ACTIVE", "web:1", "COMPLETED", 0, 0, 0, 2)] in midway,
          f"new tasks running and the old drained on the way: {midway}")
    messages = [e["message"] for e in done["events"]]
    check(messages[:2] == ["(service web) has reached a steady state.",
                           f"(service web) (deployment {new_id}) deployment completed."],
          f"events {messages[:3]}")
    check(any(m.startswith("(service web) has stopped 2 running tasks: (task ") for m in messages),
          "old tasks stopped")
    wire = raw[-1]["services"][0]
    check(isinstance(wire["deployments"][0]["createdAt"], (int, float)), "epoch seconds on the wire")
    check(isinstance(wire["events"][0]["createdAt"], (int, float)), "event times are numbers")


def test_circuit_breaker(peer, ecs, ec2, rev1, rev2):
    new_service(ecs, ec2, "api", rev1)
    peer.control("ecs/script", {"cluster": "main", "service": "api",
                                "updates": ["circuit_breaker"], "scale": SCALE})
    updated = ecs.update_service(cluster="main", service="api", taskDefinition=rev2)["service"]
    new_id, old_id = updated["deployments"][0]["id"], updated["deployments"][1]["id"]
    rolled, _ = wait_for(
        lambda: (lambda s: s if s["deployments"][0]["taskDefinition"] == rev1 else None)(
            describe(ecs, "api")), "the rollback")
    check(rolled["taskDefinition"] == rev1, "service taskDefinition is the old revision again")
    primary = rolled["deployments"][0]
    check(primary["id"] == old_id and primary["status"] == "PRIMARY", "old deployment PRIMARY")
    check(len(rolled["deployments"]) == 2, "the failed deployment stays until the rollback ends")
    failed = rolled["deployments"][1]
    check(failed["id"] == new_id and failed["rolloutState"] == "FAILED", f"failed {failed}")
    check(failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start.",
          "failed reason")
    check(failed["desiredCount"] == 0 and failed["failedTasks"] == 3, "failed counts")
    check(primary["rolloutState"] == "IN_PROGRESS", "old PRIMARY in progress while rolling back")
    steady, _ = wait_for(
        lambda: (lambda s: s if len(s["deployments"]) == 1 else None)(describe(ecs, "api")),
        "the rollback to complete")
    check(summary(steady) == [("PRIMARY", "web:1", "COMPLETED", 2, 0, 0, 2)], f"{summary(steady)}")
    messages = [e["message"] for e in steady["events"]]
    for wanted in (f"(service api) (deployment {new_id}) deployment failed: tasks failed to start.",
                   f"(service api) rolling back to deployment {old_id}.",
                   "(service api) has reached a steady state."):
        check(wanted in messages, f"event {wanted!r} missing")
    check(sum(m.startswith("(service api) has started 1 tasks: (task ") for m in messages) == 3,
          "a replacement task per failure")

    stopped = ecs.list_tasks(cluster="main", serviceName="api", desiredStatus="STOPPED")["taskArns"]
    check(len(stopped) == 3, f"3 stopped tasks, got {len(stopped)}")
    check(ecs.list_tasks(cluster="main", serviceName="web", desiredStatus="STOPPED")["taskArns"] == [],
          "ListTasks filters by service")
    tasks = ecs.describe_tasks(cluster="main", tasks=stopped)["tasks"]
    for t in tasks:
        check(t["lastStatus"] == "STOPPED" and t["stopCode"] == "EssentialContainerExited", "stop")
        check(t["stoppedReason"] == "Essential container in task exited", "stopped reason")
        check(t["containers"][0]["exitCode"] == 1, "exit code")
        check(t["taskDefinitionArn"] == rev2 and t["startedBy"] == new_id, "task of the new revision")

    arns = [d["serviceDeploymentArn"] for d in
            ecs.list_service_deployments(cluster="main", service="api")["serviceDeployments"]]
    described = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]
    ours = [d for d in described if d["targetServiceRevision"]["requestedTaskCount"] == 0][0]
    check(ours["status"] == "ROLLBACK_SUCCESSFUL", f"service deployment {ours['status']}")
    check(ours["rollback"]["reason"] == "Service deployment rolled back because the circuit "
          "breaker threshold was exceeded.", "rollback reason")
    check(ours["deploymentCircuitBreaker"] == {"status": "TRIGGERED", "failureCount": 3,
                                               "threshold": 3}, "breaker")
    first = [d for d in described if d is not ours][0]
    check(ours["rollback"]["serviceRevisionArn"] == first["targetServiceRevision"]["arn"],
          "rolled back to the first revision")
    check(ours["sourceServiceRevisions"][0]["arn"] == first["targetServiceRevision"]["arn"],
          "source revision")


def test_service_deployments_api(peer, ecs, ec2, rev1, rev2):
    new_service(ecs, ec2, "hist", rev1)
    peer.control("ecs/history", {"cluster": "main", "service": "hist", "count": 25})
    peer.control("ecs/script", {"cluster": "main", "service": "hist", "scale": SCALE})
    time.sleep(1.1)  # botocore sends createdAt filters in whole seconds
    before = time.time()
    ecs.update_service(cluster="main", service="hist", taskDefinition=rev2)
    page = ecs.list_service_deployments(cluster="main", service="hist")
    check(len(page["serviceDeployments"]) == 20 and "nextToken" in page, "20 a page")
    newest = max(d["createdAt"].timestamp() for d in page["serviceDeployments"])
    check(newest < before - 3600, "the first page does not hold the newest deployments")
    everything, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = ecs.list_service_deployments(cluster="main", service="hist", maxResults=7, **kw)
        check(len(page["serviceDeployments"]) <= 7, "maxResults honoured")
        everything += page["serviceDeployments"]
        token = page.get("nextToken")
        if not token:
            break
    check(len(everything) == 27, f"whole history: {len(everything)}")
    recent = ecs.list_service_deployments(cluster="main", service="hist",
                                          createdAt={"after": before})["serviceDeployments"]
    check(len(recent) == 1 and recent[0]["status"] == "IN_PROGRESS", f"after filter: {recent}")
    check(recent[0]["serviceDeploymentArn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/hist/"), "deployment ARN")
    done = ecs.list_service_deployments(cluster="main", service="hist", status=["SUCCESSFUL"])
    check(all(d["status"] == "SUCCESSFUL" for d in done["serviceDeployments"]), "status filter")
    code, _ = error_of(ecs.list_service_deployments, cluster="main", service="nope")
    check(code == "ServiceNotFoundException", f"unknown service: {code}")
    arn = recent[0]["serviceDeploymentArn"]
    (d,) = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    check(d["status"] == "IN_PROGRESS" and d["targetServiceRevision"]["requestedTaskCount"] == 2,
          "describe in progress")
    wait_for(lambda: ecs.describe_service_deployments(serviceDeploymentArns=[arn])
             ["serviceDeployments"][0]["status"] == "SUCCESSFUL", "SUCCESSFUL")
    missing = ecs.describe_service_deployments(serviceDeploymentArns=[arn + "x"])["failures"]
    check(missing[0]["reason"] == "MISSING", "missing ARN is a failure")


def test_stop_with_rollback(peer, ecs, ec2, rev1, rev2):
    new_service(ecs, ec2, "stuck", rev1)
    peer.control("ecs/script", {"cluster": "main", "service": "stuck", "updates": ["never"],
                                "scale": SCALE})
    ecs.update_service(cluster="main", service="stuck", taskDefinition=rev2)
    time.sleep(0.3)
    check(summary(describe(ecs, "stuck"))[0][:5] == ("PRIMARY", "web:2", "IN_PROGRESS", 0, 2),
          "never: in progress")
    (running,) = ecs.list_service_deployments(cluster="main", service="stuck",
                                              status=["IN_PROGRESS"])["serviceDeployments"]
    arn = running["serviceDeploymentArn"]
    out = ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    check(out["serviceDeploymentArn"] == arn, "stop answers the ARN")
    status = lambda: ecs.describe_service_deployments(
        serviceDeploymentArns=[arn])["serviceDeployments"][0]
    check(status()["status"] == "ROLLBACK_REQUESTED", "rollback requested")
    wait_for(lambda: status()["status"] == "ROLLBACK_IN_PROGRESS", "rollback in progress", 3)
    svc = describe(ecs, "stuck")
    check(svc["taskDefinition"] == rev1 and svc["deployments"][0]["taskDefinition"] == rev1,
          "old revision PRIMARY during the rollback")
    final, _ = wait_for(lambda: (lambda d: d if d["status"] == "ROLLBACK_SUCCESSFUL" else None)(
        status()), "rollback successful", 5)
    check(final["rollback"]["serviceRevisionArn"], "rollback names the revision")
    check(summary(describe(ecs, "stuck")) == [("PRIMARY", "web:1", "COMPLETED", 2, 0, 0, 2)],
          "rolled back")
    code, _ = error_of(ecs.stop_service_deployment, serviceDeploymentArn=arn, stopType="ROLLBACK")
    check(code == "ConflictException", f"stopping a finished deployment: {code}")

    ecs.update_service(cluster="main", service="stuck", taskDefinition=rev2)
    (running,) = ecs.list_service_deployments(cluster="main", service="stuck",
                                              status=["IN_PROGRESS"])["serviceDeployments"]
    ecs.stop_service_deployment(serviceDeploymentArn=running["serviceDeploymentArn"],
                                stopType="ABORT")
    arn = running["serviceDeploymentArn"]
    check(status()["status"] == "STOP_REQUESTED", "abort requested")
    wait_for(lambda: status()["status"] == "STOPPED", "aborted", 3)
    (dep,) = describe(ecs, "stuck")["deployments"][:1]
    check((dep["taskDefinition"], dep["rolloutState"]) == (rev2, "FAILED"), f"aborted: {dep}")


def test_superseded(peer, ecs, ec2, rev1, rev2):
    new_service(ecs, ec2, "busy", rev1)
    peer.control("ecs/script", {"cluster": "main", "service": "busy", "updates": ["superseded"],
                                "scale": SCALE})
    ours = ecs.update_service(cluster="main", service="busy", taskDefinition=rev2)["service"]
    ours_id = ours["deployments"][0]["id"]
    done, _ = wait_for(lambda: (lambda s: s if len(s["deployments"]) == 1 else None)(
        describe(ecs, "busy")), "the other deployment to complete")
    check(done["deployments"][0]["id"] != ours_id, "someone else's deployment won")
    check(done["taskDefinition"] not in (rev1, rev2), f"a third revision: {done['taskDefinition']}")
    state = peer.control("ecs/state", {"cluster": "main", "service": "busy"})
    statuses = [d["status"] for d in state["serviceDeployments"]]
    check(statuses == ["SUCCESSFUL", "STOPPED", "SUCCESSFUL"], f"statuses {statuses}")


def test_force_new_deployment(peer, ecs, ec2, rev1):
    new_service(ecs, ec2, "force", rev1, desired=1)
    out = ecs.update_service(cluster="main", service="force", forceNewDeployment=True)["service"]
    check(len(out["deployments"]) == 2 and out["deployments"][0]["taskDefinition"] == rev1,
          "forceNewDeployment starts a deployment of the same revision")
    scaled = ecs.update_service(cluster="main", service="force", desiredCount=1)["service"]
    check(len(scaled["deployments"]) == 2, "a desiredCount change starts no deployment")


def test_explicit_timeline(peer, ecs, ec2, rev1, rev2):
    new_service(ecs, ec2, "custom", rev1, desired=1)
    timeline = [
        {"at": 0, "rollout_state": "IN_PROGRESS", "running": 0, "pending": 1,
         "events": ["(service {service}) has started 1 tasks: (task {task})."]},
        {"at": 0.5, "failed_tasks": 1, "running": 0, "pending": 0},
        {"at": 1.0, "rollout_state": "FAILED", "reason": "ECS deployment failed: alarms.",
         "events": ["(service {service}) (deployment {deployment}) deployment failed: alarm."]},
    ]
    peer.control("ecs/script", {"cluster": "main", "service": "custom", "updates": [timeline],
                                "scale": SCALE})
    dep_id = ecs.update_service(cluster="main", service="custom",
                                taskDefinition=rev2)["service"]["deployments"][0]["id"]
    failed, _ = wait_for(lambda: (lambda s: s if s["deployments"][0]["rolloutState"] == "FAILED"
                                  else None)(describe(ecs, "custom")), "the scripted failure")
    check(summary(failed) == [("PRIMARY", "web:2", "FAILED", 0, 0, 1, 1),
                              ("ACTIVE", "web:1", "COMPLETED", 1, 0, 0, 1)], f"{summary(failed)}")
    check(failed["deployments"][0]["rolloutStateReason"] == "ECS deployment failed: alarms.",
          "scripted reason")
    check(failed["events"][0]["message"] ==
          f"(service custom) (deployment {dep_id}) deployment failed: alarm.", "scripted event")
    state = peer.control("ecs/state", {"cluster": "main", "service": "custom"})
    check(state["serviceDeployments"][-1]["status"] == "STOPPED", "failed without rollback")
    check(len(ecs.list_tasks(cluster="main", serviceName="custom",
                             desiredStatus="STOPPED")["taskArns"]) == 1, "one stopped task")


def test_short_arn(peer, ecs, ec2, rev1):
    svc = new_service(ecs, ec2, "legacy", rev1)
    long_arn = svc["serviceArn"]
    short = "arn:aws:ecs:us-east-1:123456789012:service/legacy"
    peer.control("ecs/short_arn", {"cluster": "main", "service": "legacy"})
    check(describe(ecs, "legacy")["serviceArn"] == short, "DescribeServices says the short ARN")
    check(short in ecs.list_services(cluster="main")["serviceArns"], "ListServices too")
    tags = [{"key": "k", "value": "v"}]
    code, message = error_of(ecs.tag_resource, resourceArn=short, tags=tags)
    check((code, message) == ("InvalidParameterException",
                              "Long arn format must be used for tagging operations"), message)
    code, message = error_of(ecs.tag_resource, resourceArn=long_arn, tags=tags)
    check(code == "InvalidParameterException" and "longArn format" in message, message)
    code, _ = error_of(ecs.list_tags_for_resource, resourceArn=short)
    check(code == "InvalidParameterException", "ListTagsForResource refused too")
    web = describe(ecs, "web")["serviceArn"]
    ecs.tag_resource(resourceArn=web, tags=tags)
    check(ecs.list_tags_for_resource(resourceArn=web)["tags"] == tags, "normal tagging works")
    ecs.untag_resource(resourceArn=web, tagKeys=["k"])
    check(ecs.list_tags_for_resource(resourceArn=web)["tags"] == [], "untag works")


def test_tag_lag(peer, ecs):
    web = describe(ecs, "web")["serviceArn"]
    peer.control("ecs/tag_lag", {"reads": 2})
    ecs.tag_resource(resourceArn=web, tags=[{"key": "lock", "value": "me"}])
    reads = [ecs.list_tags_for_resource(resourceArn=web)["tags"] for _ in range(3)]
    check(reads == [[], [], [{"key": "lock", "value": "me"}]], f"tag reads {reads}")
    ecs.untag_resource(resourceArn=web, tagKeys=["lock"])
    reads = [ecs.list_tags_for_resource(resourceArn=web)["tags"] for _ in range(3)]
    check(reads == [[{"key": "lock", "value": "me"}]] * 2 + [[]], f"untag reads {reads}")
    peer.control("ecs/tag_lag", {"reads": 0})


def test_throttling(peer):
    ecs = peer.client("ecs", retries=1)
    peer.control("throttle", {"service": "ecs", "action": "DescribeServices", "count": 2})
    for _ in range(2):
        code, _ = error_of(ecs.describe_services, cluster="main", services=["web"])
        check(code == "ThrottlingException", f"throttled: {code}")
    describe(ecs, "web")
    peer.control("throttle", {"service": "ecs", "action": "ListServiceDeployments", "count": 1})
    code, _ = error_of(ecs.list_service_deployments, cluster="main", service="web")
    check(code == "ThrottlingException", "the peer's own actions are throttled too")
    ecs.list_service_deployments(cluster="main", service="web")
    peer.control("throttle", method="DELETE")


def test_service_connect(peer, ecs, ec2):
    sd = peer.client("servicediscovery")
    peer.control("servicediscovery/operation_seconds", {"seconds": 3.0})
    op = sd.create_http_namespace(Name="shop-aws", CreatorRequestId="r1")["OperationId"]
    first = sd.get_operation(OperationId=op)["Operation"]["Status"]
    check(first in ("SUBMITTED", "PENDING"), f"a new operation is not done at once: {first}")
    wait_for(lambda: sd.get_operation(OperationId=op)["Operation"]["Status"] == "SUCCESS",
             "the namespace operation succeeds")
    peer.control("servicediscovery/operation_seconds", {"seconds": 0.6})
    again = error_of(sd.create_http_namespace, Name="shop-aws", CreatorRequestId="r2")
    check(again[0] == "NamespaceAlreadyExists", f"a second namespace of a name: {again}")
    ns = sd.list_namespaces()["Namespaces"][0]
    named = task_def(ecs, "api:1", family="api", containerDefinitions=[
        {"name": "api", "image": "api:1", "portMappings": [{"containerPort": 8080, "name": "api"}]}])
    sc = {"enabled": True, "namespace": ns["Arn"], "services": [
        {"portName": "api", "discoveryName": "api",
         "clientAliases": [{"port": 8080, "dnsName": "api"}]}]}
    missing = dict(sc, namespace="nowhere")
    code = error_of(ecs.create_service, cluster="main", serviceName="api0", taskDefinition=named,
                    desiredCount=1, launchType="FARGATE", networkConfiguration=network(ec2),
                    serviceConnectConfiguration=missing)
    check(code[0] == "NamespaceNotFoundException", f"an unknown namespace is refused: {code}")
    code = error_of(ecs.create_service, cluster="main", serviceName="api0",
                    taskDefinition=task_def(ecs, "app:1"), desiredCount=1, launchType="FARGATE",
                    networkConfiguration=network(ec2), serviceConnectConfiguration=sc)
    check(code[0] == "InvalidParameterException", f"a port name the revision lacks: {code}")
    ecs.create_service(cluster="main", serviceName="api", taskDefinition=named, desiredCount=1,
                       launchType="FARGATE", networkConfiguration=network(ec2),
                       serviceConnectConfiguration=sc)
    dep = describe(ecs, "api")["deployments"][0]
    check(dep["serviceConnectConfiguration"]["services"][0]["clientAliases"] ==
          [{"port": 8080, "dnsName": "api"}], f"shown on the deployment: {dep}")
    check(dep["serviceConnectResources"][0]["discoveryName"] == "api", f"registered: {dep}")
    busy = error_of(sd.delete_namespace, Id=ns["Id"])
    check(busy[0] == "ResourceInUse", f"a namespace with services is not deleted: {busy}")
    ecs.delete_service(cluster="main", service="api", force=True)
    # The Cloud Map service stays behind the deleted ECS service, as live.
    busy = error_of(sd.delete_namespace, Id=ns["Id"])
    check(busy[0] == "ResourceInUse", f"still in use after the ECS service went: {busy}")
    again = error_of(ecs.create_service, cluster="main", serviceName="api2", taskDefinition=named,
                     desiredCount=1, launchType="FARGATE", networkConfiguration=network(ec2),
                     serviceConnectConfiguration=sc)
    check("SC service is already used" in again[1], f"its name is taken: {again}")
    left = [s for s in sd.list_services()["Services"] if s["Name"] == "api"]
    check(len(left) == 1, f"one Cloud Map service left: {left}")
    sd.delete_service(Id=left[0]["Id"])
    op = sd.delete_namespace(Id=ns["Id"])["OperationId"]
    check(sd.list_namespaces()["Namespaces"] == [], "deleted once its services are")
    check(op, "the deletion is an operation")


def main():
    peer = Peer()
    try:
        ecs, ec2 = peer.client("ecs"), peer.client("ec2")
        ecs.create_cluster(clusterName="main")
        rev1 = task_def(ecs, "app:1")
        rev2 = task_def(ecs, "app:2")
        checks = [
            ("task definitions", lambda: test_task_definitions(ecs)),
            ("create service", lambda: test_create_service(ecs, ec2, rev1)),
            ("completes", lambda: test_completes(peer, ecs, rev1, rev2)),
            ("circuit breaker", lambda: test_circuit_breaker(peer, ecs, ec2, rev1, rev2)),
            ("service deployments", lambda: test_service_deployments_api(peer, ecs, ec2, rev1, rev2)),
            ("stop with rollback", lambda: test_stop_with_rollback(peer, ecs, ec2, rev1, rev2)),
            ("superseded", lambda: test_superseded(peer, ecs, ec2, rev1, rev2)),
            ("force new deployment", lambda: test_force_new_deployment(peer, ecs, ec2, rev1)),
            ("explicit timeline", lambda: test_explicit_timeline(peer, ecs, ec2, rev1, rev2)),
            ("short ARN", lambda: test_short_arn(peer, ecs, ec2, rev1)),
            ("tag lag", lambda: test_tag_lag(peer, ecs)),
            ("throttling", lambda: test_throttling(peer)),
            ("service connect", lambda: test_service_connect(peer, ecs, ec2)),
        ]
        for name, fn in checks:
            fn()
            print(f"ok   {name}")
    finally:
        peer.stop()
    print("all ECS peer checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        sys.exit(1)

#!/usr/bin/env python3
"""Self-test of eb.py: starts awspeer on a free port, talks to it with boto3 (so botocore parses
every answer), checks the bytes on the wire where the live quirks are, and stops it.

    python3 tests/peer/test_eb.py        # exit status 0 when every check passes
"""

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "awspeer.py"), "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while True:
            try:
                self.control("GET", "health")
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("awspeer did not start")
                time.sleep(0.1)

    def control(self, method, name, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(f"{self.url}/_peer/{name}", data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def post(self, name, payload):
        return self.control("POST", name, payload)

    def client(self, service, **config):
        c = boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(**config) if config else None,
        )
        c.raw = []  # the bodies of the answers, newest last
        c.meta.events.register("after-call.*", lambda http_response, **_: c.raw.append(
            http_response.content))
        return c

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def errors(self):
        """What the peer wrote to stderr besides its access log."""
        self.log.seek(0)
        lines = self.log.read().decode(errors="replace").splitlines()
        return [line for line in lines if '" 200 -' not in line and '" 400 -' not in line]


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} did not fail")


def wait_for(what, fn, timeout=10):
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def env_of(eb, name):
    envs = eb.describe_environments(EnvironmentNames=[name])["Environments"]
    assert len(envs) == 1, envs
    return envs[0]


DOCKERRUN = json.dumps({"AWSEBDockerrunVersion": "1", "Image": {"Name": "nginx:latest"},
                        "Ports": [{"ContainerPort": 80}]})


def check_apps_and_environments(peer, eb):
    app = eb.create_application(ApplicationName="Shop")["Application"]
    assert app["ApplicationName"] == "Shop"
    assert error_of(eb.create_application, ApplicationName="shop") == (
        "InvalidParameterValue", "Application shop already exists.")
    apps = eb.describe_applications(ApplicationNames=["SHOP"])["Applications"]
    assert [a["ApplicationName"] for a in apps] == ["Shop"], apps
    stack = "64bit Amazon Linux 2023 v4.4.0 running Docker"
    iam = peer.client("iam")
    iam.create_instance_profile(InstanceProfileName="web-ec2")
    profile = [{"Namespace": "aws:autoscaling:launchconfiguration",
                "OptionName": "IamInstanceProfile", "Value": "web-ec2"}]
    assert error_of(eb.create_environment, ApplicationName="shop", EnvironmentName="xenv",
                    SolutionStackName="64bit Amazon Linux 2023 v9.9.9 running Docker") == (
        "InvalidParameterValue",
        "No Solution Stack named '64bit Amazon Linux 2023 v9.9.9 running Docker' found.")
    assert error_of(eb.create_environment, ApplicationName="shop", EnvironmentName="xenv")[0] == (
        "MissingParameter")
    created = eb.create_environment(ApplicationName="shop", EnvironmentName="web-prod",
                                    SolutionStackName=stack, OptionSettings=profile,
                                    Tags=[{"Key": "team", "Value": "a"}])
    tags = eb.list_tags_for_resource(ResourceArn=created["EnvironmentArn"])["ResourceTags"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "team": "a", "elasticbeanstalk:environment-name": "web-prod",
        "elasticbeanstalk:environment-id": created["EnvironmentId"]}, tags
    eb.update_tags_for_resource(ResourceArn=app["ApplicationArn"],
                                TagsToAdd=[{"Key": "devloop:app", "Value": "shop"}])
    tags = eb.list_tags_for_resource(ResourceArn=app["ApplicationArn"])["ResourceTags"]
    assert tags == [{"Key": "devloop:app", "Value": "shop"}], tags
    assert error_of(eb.list_tags_for_resource, ResourceArn=app["ApplicationArn"] + "x")[0] == (
        "ResourceNotFoundException")
    assert created["Status"] == "Launching" and created["EnvironmentId"].startswith("e-")
    assert created["EnvironmentArn"] == (
        "arn:aws:elasticbeanstalk:us-east-1:123456789012:environment/Shop/web-prod")
    assert created["PlatformArn"] == (
        "arn:aws:elasticbeanstalk:us-east-1::platform/"
        "Docker running on 64bit Amazon Linux 2023/4.4.0")
    duplicate = error_of(eb.create_environment, ApplicationName="Shop", EnvironmentName="WEB-PROD")
    assert duplicate[1] == "Environment WEB-PROD already exists.", duplicate
    env = env_of(eb, "WEB-PROD")
    assert env["EnvironmentName"] == "web-prod" and env["ApplicationName"] == "Shop", env
    wait_for("web-prod Ready", lambda: env_of(eb, "web-prod")["Status"] == "Ready")
    env = env_of(eb, "web-prod")
    assert (env["Health"], env["HealthStatus"], env["Tier"]["Name"]) == ("Green", "Ok", "WebServer")
    launch = eb.describe_events(EnvironmentName="WEB-PROD")["Events"]
    assert [e["Message"] for e in launch] == [
        "Successfully launched environment: web-prod", "createEnvironment is starting."], launch
    assert error_of(eb.update_environment, EnvironmentName="nope-env") == (
        "InvalidParameterValue", "No Environment found for EnvironmentName = 'nope-env'.")
    resources = eb.describe_environment_resources(EnvironmentName="web-prod")
    resources = resources["EnvironmentResources"]
    assert "-stack-AWSEBAutoScalingGroup-" in resources["AutoScalingGroups"][0]["Name"]
    assert resources["Instances"][0]["Id"].startswith("i-") and resources["LoadBalancers"]
    stacks = eb.list_available_solution_stacks()["SolutionStacks"]
    assert any("Docker" in s for s in stacks)
    # No instance profile: launched with errors, Ready and Red, as the live service leaves it.
    eb.create_application(ApplicationName="bare")
    eb.create_environment(ApplicationName="bare", EnvironmentName="bare-prod",
                          SolutionStackName=stack)
    assert error_of(eb.delete_application, ApplicationName="bare")[0] == (
        "OperationInProgressFailure")
    wait_for("bare-prod torn down", lambda: env_of(eb, "bare-prod")["Status"] == "Terminated", 5)
    messages = [e["Message"] for e in eb.describe_events(EnvironmentName="bare-prod")["Events"]]
    assert "Environment must have instance profile associated with it." in messages, messages
    assert "Failed to launch environment." in messages, messages
    assert eb.describe_environments(EnvironmentNames=["bare-prod"],
                                    IncludeDeleted=False)["Environments"] == []
    # A profile made a moment ago is not there yet for the launch.
    peer.post("eb/iam_propagation", {"seconds": 30})
    iam.create_instance_profile(InstanceProfileName="fresh")
    fresh = [{**profile[0], "Value": "fresh"}]
    eb.create_environment(ApplicationName="bare", EnvironmentName="bare-prod",
                          SolutionStackName=stack, OptionSettings=fresh)

    def newest_bare():
        envs = eb.describe_environments(EnvironmentNames=["bare-prod"])["Environments"]
        return max(envs, key=lambda e: e["DateCreated"])

    wait_for("fresh launch failed", lambda: newest_bare()["Status"] == "Terminated", 5)
    peer.post("eb/iam_propagation", {"seconds": 0})
    eb.create_environment(ApplicationName="bare", EnvironmentName="bare-prod",
                          SolutionStackName=stack, OptionSettings=fresh)

    def live_bare():
        return eb.describe_environments(EnvironmentNames=["bare-prod"],
                                        IncludeDeleted=False)["Environments"]

    wait_for("bare-prod Ready", lambda: [e["Status"] for e in live_bare()] == ["Ready"], 5)
    eb.delete_application(ApplicationName="bare", TerminateEnvByForce=True)
    assert eb.describe_applications(ApplicationNames=["bare"])["Applications"] == []
    wait_for("bare-prod terminated", lambda: live_bare() == [], 5)


def check_versions(peer, eb, s3):
    bucket = eb.create_storage_location()["S3Bucket"]
    assert bucket == "elasticbeanstalk-us-east-1-123456789012"
    s3.head_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="Shop/good.zip",
                  Body=zipped({"Dockerrun.aws.json": DOCKERRUN}))
    s3.put_object(Bucket=bucket, Key="Shop/compose.zip",
                  Body=zipped({"docker-compose.yml": "services: {}\n"}))
    s3.put_object(Bucket=bucket, Key="Shop/bad.zip",
                  Body=zipped({"app/index.html": "<p>hi</p>", "app/Dockerfile": "FROM nginx\n"}))
    s3.put_object(Bucket=bucket, Key="Shop/badjson.zip", Body=zipped({"Dockerrun.aws.json": "{"}))

    def create(label, key, **extra):
        return eb.create_application_version(
            ApplicationName="Shop", VersionLabel=label, Description=f"{label} test",
            SourceBundle={"S3Bucket": bucket, "S3Key": key}, **extra)["ApplicationVersion"]

    v = create("v1", "Shop/good.zip", Process=True)
    assert v["Status"] == "PROCESSING" and b"<Status>PROCESSING</Status>" in eb.raw[-1], v
    assert v["ApplicationVersionArn"].endswith(":applicationversion/Shop/v1")
    assert v["SourceBundle"] == {"S3Bucket": bucket, "S3Key": "Shop/good.zip"}

    def status(label):
        out = eb.describe_application_versions(ApplicationName="shop", VersionLabels=[label])
        return out["ApplicationVersions"][0]["Status"]

    wait_for("v1 processed", lambda: status("v1") != "PROCESSING", 5)
    assert status("v1") == "PROCESSED", status("v1")
    assert b"<Status>PROCESSED</Status>" in eb.raw[-1] and b"Processed" not in eb.raw[-1]
    assert create("v2", "Shop/compose.zip", Process=True)["Status"] == "PROCESSING"
    assert create("raw", "Shop/bad.zip")["Status"] == "UNPROCESSED"
    assert b"<Status>UNPROCESSED</Status>" in eb.raw[-1]
    create("bad", "Shop/bad.zip", Process=True)
    create("badjson", "Shop/badjson.zip", Process=True)
    wait_for("processing over", lambda: "PROCESSING" not in (status("v2"), status("bad")), 5)
    assert (status("v2"), status("bad"), status("badjson")) == ("PROCESSED", "FAILED", "FAILED")
    errors = eb.describe_events(ApplicationName="Shop", VersionLabel="bad")["Events"]
    assert [e["Severity"] for e in errors] == ["ERROR"], errors
    assert errors[0]["Message"].startswith("Failed to process application version bad: "), errors
    json_error = eb.describe_events(VersionLabel="badjson", Severity="ERROR")["Events"]
    assert "Dockerrun.aws.json is not valid JSON" in json_error[0]["Message"], json_error

    assert error_of(create, label="v1", key="Shop/good.zip") == (
        "InvalidParameterValue", "Application Version v1 already exists.")
    assert error_of(create, label="v9", key="Shop/missing.zip") == (
        "InvalidParameterCombination",
        f"Unable to download from S3 location (Bucket: {bucket}  Key: Shop/missing.zip). "
        "Reason: Not Found")
    assert error_of(eb.create_application_version, ApplicationName="Nope", VersionLabel="x") == (
        "InvalidParameterValue", "No Application named 'Nope' found.")
    auto = eb.create_application_version(ApplicationName="Auto", VersionLabel="a1",
                                         AutoCreateApplication=True)["ApplicationVersion"]
    assert auto["Status"] == "UNPROCESSED" and auto["ApplicationName"] == "Auto"

    listed = eb.describe_application_versions(ApplicationName="Shop")["ApplicationVersions"]
    assert [v["VersionLabel"] for v in listed] == ["badjson", "bad", "raw", "v2", "v1"], listed
    first = eb.describe_application_versions(ApplicationName="Shop", MaxRecords=2)
    assert len(first["ApplicationVersions"]) == 2 and first["NextToken"]
    eb.delete_application_version(ApplicationName="Shop", VersionLabel="raw")
    left = eb.describe_application_versions(ApplicationName="Shop")["ApplicationVersions"]
    assert "raw" not in [v["VersionLabel"] for v in left]
    peer.post("eb/script", {"application": "Shop", "process_fail": "forced by the test"})
    create("v3", "Shop/good.zip", Process=True)
    wait_for("v3 failed", lambda: status("v3") == "FAILED", 5)
    peer.post("eb/script", {"application": "Shop", "process_fail": None, "process_seconds": 0})
    assert create("v4", "Shop/good.zip", Process=True)["Status"] in ("PROCESSING", "PROCESSED")
    assert status("v4") == "PROCESSED"


def update(eb, env, label, **extra):
    out = eb.update_environment(ApplicationName="Shop", EnvironmentName=env, VersionLabel=label,
                                **extra)
    return out, out["ResponseMetadata"]["RequestId"]


def check_update_settles(peer, eb):
    state = peer.post("eb/environment", {"application": "shop", "environment": "api-prod",
                                         "version_label": "v1"})
    assert (state["status"], state["version_label"], state["application"]) == (
        "Ready", "v1", "Shop"), state
    before = env_of(eb, "api-prod")
    out, request = update(eb, "API-PROD", "v2")
    assert (out["Status"], out["VersionLabel"], out["AbortableOperationInProgress"]) == (
        "Updating", "v2", True), out
    stale = env_of(eb, "api-prod")
    assert (stale["Status"], stale["VersionLabel"]) == ("Ready", "v1"), stale
    assert stale["DateUpdated"] == before["DateUpdated"]
    moving = env_of(eb, "api-prod")
    assert (moving["Status"], moving["VersionLabel"], moving["Health"]) == (
        "Updating", "v2", "Grey"), moving
    assert moving["DateUpdated"] > before["DateUpdated"]
    assert error_of(eb.update_environment, EnvironmentName="api-prod", VersionLabel="v2") == (
        "InvalidParameterValue",
        "Environment named api-prod is in an invalid state for this operation. Must be Ready.")
    wait_for("api-prod Ready", lambda: env_of(eb, "api-prod")["Status"] == "Ready", 5)
    done = env_of(eb, "api-prod")
    assert (done["VersionLabel"], done["Health"], done["HealthStatus"]) == ("v2", "Green", "Ok")
    assert done["AbortableOperationInProgress"] is False
    events = eb.describe_events(ApplicationName="Shop", EnvironmentName="api-prod",
                                RequestId=request)["Events"]
    assert [e["Message"] for e in events] == [
        "Environment update completed successfully.", "Environment update is starting."], events
    assert events[0]["EventDate"] > events[1]["EventDate"]
    assert all(e["RequestId"] == request and e["EnvironmentName"] == "api-prod" for e in events)
    later = eb.describe_events(RequestId=request, StartTime=events[0]["EventDate"])["Events"]
    assert len(later) == 1, later
    assert error_of(eb.update_environment, EnvironmentName="api-prod", VersionLabel="nope") == (
        "InvalidParameterValue", "No Application Version named 'nope' found.")


def check_presets(peer, eb):
    peer.post("eb/script", {"environment": "api-prod", "updates": ["recovers", "fails_reverts"],
                            "scale": 0.5, "stale_reads": 0})
    out, request = update(eb, "api-prod", "v4")
    assert env_of(eb, "api-prod")["Status"] == "Updating"  # stale_reads 0: no stale read
    wait_for("api-prod Ready", lambda: env_of(eb, "api-prod")["Status"] == "Ready", 5)
    red = env_of(eb, "api-prod")
    assert (red["VersionLabel"], red["Health"], red["HealthStatus"]) == ("v4", "Red", "Degraded")
    health = eb.describe_environment_health(EnvironmentName="api-prod", AttributeNames=["All"])
    assert b"<Status>Ready</Status>" in eb.raw[-1]
    assert (health["Status"], health["Color"], health["HealthStatus"]) == (
        "Ready", "Red", "Degraded"), health
    assert health["Causes"] and health["InstancesHealth"]["Degraded"] == 1, health
    wait_for("api-prod Green", lambda: env_of(eb, "api-prod")["Health"] == "Green", 5)
    health = eb.describe_environment_health(EnvironmentName="api-prod",
                                            AttributeNames=["Causes", "HealthStatus", "Status"])
    assert health["Causes"] == [] and health["Status"] == "Ready" and "Color" not in health
    messages = [e["Message"] for e in eb.describe_events(RequestId=request)["Events"]]
    assert messages[0] == "Environment health has transitioned from Degraded to Ok.", messages
    assert messages[1].startswith(
        "Environment health has transitioned from Ok to Degraded."), messages

    out, request = update(eb, "api-prod", "v2")

    def peer_state():
        return peer.post("eb/state", {"environment": "api-prod"})

    wait_for("revert", lambda: peer_state()["status"] == "Ready", 5)
    state = peer_state()
    assert (state["version_label"], state["health"]) == ("v4", "Green"), state
    events = eb.describe_events(RequestId=request)["Events"]
    assert [e["Severity"] for e in events] == ["INFO", "ERROR", "ERROR", "INFO"], events
    assert events[0]["Message"] == (
        "The environment was reverted to the previous configuration setting.")
    assert events[2]["Message"] == "Failed to deploy application."
    errors = eb.describe_events(RequestId=request, Severity="ERROR")["Events"]
    assert len(errors) == 2
    page = eb.describe_events(RequestId=request, MaxRecords=3)
    rest = eb.describe_events(RequestId=request, MaxRecords=3, NextToken=page["NextToken"])
    assert [e["Message"] for e in page["Events"] + rest["Events"]] == [e["Message"] for e in events]


def check_custom_timelines(peer, eb):
    custom = [
        {"at": 0.5, "health": "Yellow", "health_status": "Warning", "causes": ["slow"],
         "events": [{"severity": "WARN", "message": "half way"}]},
        {"at": 1.0, "status": "Ready", "version": "v1"},
    ]
    peer.post("eb/script", {"environment": "api-prod", "updates": [custom, "fails_red"],
                            "scale": 0.4, "stale_reads": 2})
    out, request = update(eb, "api-prod", "v2")
    assert env_of(eb, "api-prod")["VersionLabel"] == "v4"
    assert env_of(eb, "api-prod")["VersionLabel"] == "v4"
    assert env_of(eb, "api-prod")["VersionLabel"] == "v2"
    wait_for("Ready", lambda: env_of(eb, "api-prod")["Status"] == "Ready", 5)
    env = env_of(eb, "api-prod")
    assert (env["VersionLabel"], env["Health"], env["HealthStatus"]) == ("v1", "Yellow", "Warning")
    events = eb.describe_events(RequestId=request, Severity="WARN")["Events"]
    assert [e["Message"] for e in events] == ["half way"], events
    update(eb, "api-prod", "v2")
    env = wait_for("Red", lambda: [e for e in [env_of(eb, "api-prod")] if e["Health"] == "Red"], 5)
    assert (env[0]["Status"], env[0]["VersionLabel"], env[0]["HealthStatus"]) == (
        "Ready", "v2", "Severe"), env
    peer.post("eb/script", {"environment": "api-prod", "updates": ["red_forever", "settles"],
                            "scale": 0.2, "stale_reads": 0})
    update(eb, "api-prod", "v4")
    wait_for("Red", lambda: env_of(eb, "api-prod")["Health"] == "Red", 5)
    assert env_of(eb, "api-prod")["Status"] == "Ready"
    update(eb, "api-prod", "v4")
    wait_for("Green", lambda: env_of(eb, "api-prod")["Health"] == "Green", 5)


def check_settings_and_abort(peer, eb):
    peer.post("eb/script", {"environment": "api-prod", "updates": ["never"], "stale_reads": 1})
    ns = "aws:elasticbeanstalk:application:environment"
    out, request = update(eb, "api-prod", "v2",
                          OptionSettings=[{"Namespace": ns, "OptionName": "FOO", "Value": "bar"}],
                          OptionsToRemove=[{"Namespace": "aws:elasticbeanstalk:cloudwatch:logs",
                                            "OptionName": "StreamLogs"}])
    config = eb.describe_configuration_settings(ApplicationName="Shop", EnvironmentName="api-prod")
    options = {(o["Namespace"], o["OptionName"]): o["Value"]
               for o in config["ConfigurationSettings"][0]["OptionSettings"]}
    assert options[(ns, "FOO")] == "bar" and ("aws:elasticbeanstalk:cloudwatch:logs",
                                              "StreamLogs") not in options, options
    assert options[("aws:autoscaling:launchconfiguration", "InstanceType")] == "t3.micro"
    time.sleep(0.3)
    assert env_of(eb, "api-prod")["VersionLabel"] == "v4"  # the stale read
    assert env_of(eb, "api-prod")["Status"] == "Updating"
    eb.abort_environment_update(EnvironmentName="api-prod")
    back = env_of(eb, "api-prod")
    assert (back["Status"], back["VersionLabel"]) == ("Ready", "v4"), back
    assert eb.describe_events(RequestId=request)["Events"][0]["Message"] == (
        "Environment update was aborted.")


def check_throttling(peer):
    eb = peer.client("elasticbeanstalk", retries={"total_max_attempts": 1, "mode": "standard"})
    peer.post("throttle", {"service": "elasticbeanstalk", "action": "DescribeEnvironments",
                           "count": 1})
    assert error_of(eb.describe_environments) == ("Throttling", "Rate exceeded")
    patient = peer.client("elasticbeanstalk")
    peer.post("throttle", {"service": "elasticbeanstalk", "action": "DescribeEnvironments",
                           "count": 2})
    assert patient.describe_environments()["Environments"]
    peer.control("DELETE", "throttle")


def check_terminate(peer, eb):
    out = eb.terminate_environment(EnvironmentName="web-prod")
    assert out["Status"] == "Terminating"
    wait_for("terminated", lambda: env_of(eb, "web-prod")["Status"] == "Terminated", 5)
    live = eb.describe_environments(EnvironmentNames=["web-prod"], IncludeDeleted=False)
    assert live["Environments"] == []


DIGEST = "sha256:" + "a" * 64
COMPOSE = f"""services:
  api:
    image: "reg.example:5000/team/shop-api@{DIGEST}"
    expose: ["8080"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/healthz"]
  web:
    image: "reg.example:5000/team/shop-web@{DIGEST}"
    ports: ["80:80"]
    depends_on:
      api:
        condition: service_healthy
  store:
    image: "busybox:1.36"
"""


def check_compose_rules():
    """The compose checks on their own: each broken file names what is wrong."""
    sys.path.insert(0, HERE)
    import eb as module

    assert module.compose_problem(COMPOSE) is None
    cases = {
        "not valid YAML": "services: [\n",
        "not pinned by digest": COMPOSE.replace(f"shop-api@{DIGEST}", "shop-api:latest"),
        "undefined service 'apii'": COMPOSE.replace("      api:\n", "      apii:\n"),
        "has no healthcheck": COMPOSE.replace("    healthcheck:\n      test: [\"CMD-SHELL\", "
                                              "\"wget -q -O /dev/null http://127.0.0.1:8080/"
                                              "healthz\"]\n", ""),
        "port is already allocated": COMPOSE.replace('expose: ["8080"]', 'ports: ["80:8080"]'),
    }
    for expected, text in cases.items():
        problem = module.compose_problem(text)
        assert problem and expected in problem, (expected, problem)
    # A dependency from Docker Hub runs by its tag; a list of depends_on is allowed.
    listed = COMPOSE.replace("      api:\n        condition: service_healthy\n", "      - api\n")
    assert module.compose_problem(listed) is None


def check_compose_bundles(peer, eb, s3):
    """A compose bundle is kept for the tests (eb/bundle); a broken one fails and is reverted."""
    bucket = eb.create_storage_location()["S3Bucket"]
    peer.post("eb/environment", {"application": "Shop", "environment": "set-prod",
                                 "version_label": "v1"})
    peer.post("eb/script", {"environment": "set-prod", "scale": 0.3, "stale_reads": 0})
    assert peer.post("eb/bundle", {"environment": "set-prod"}) == {}
    s3.put_object(Bucket=bucket, Key="Shop/set.zip",
                  Body=zipped({"docker-compose.yml": COMPOSE, ".platform/hooks/x.sh": "#!/bin/sh\n"}))
    broken = COMPOSE.replace('expose: ["8080"]', 'ports: ["80:8080"]')
    s3.put_object(Bucket=bucket, Key="Shop/broken.zip", Body=zipped({"docker-compose.yml": broken}))
    for label, key in [("set1", "Shop/set.zip"), ("set2", "Shop/broken.zip")]:
        eb.create_application_version(ApplicationName="Shop", VersionLabel=label, Process=True,
                                      SourceBundle={"S3Bucket": bucket, "S3Key": key})
    update(eb, "set-prod", "set1")
    wait_for("set1", lambda: peer.post("eb/state", {"environment": "set-prod"})["health"] == "Green"
             and env_of(eb, "set-prod")["VersionLabel"] == "set1", 5)
    held = peer.post("eb/bundle", {"environment": "set-prod"})
    assert held["label"] == "set1" and held["updates"] == 1, held
    assert held["files"] == [".platform/hooks/x.sh", "docker-compose.yml"], held
    assert held["compose"] == COMPOSE

    out, request = update(eb, "set-prod", "set2")
    wait_for("reverted", lambda: [e for e in eb.describe_events(RequestId=request)["Events"]
                                  if e["Message"].startswith("The environment was reverted")], 5)
    env = env_of(eb, "set-prod")
    assert (env["Status"], env["VersionLabel"], env["Health"]) == ("Ready", "set1", "Green"), env
    errors = [e["Message"] for e in eb.describe_events(RequestId=request, Severity="ERROR")["Events"]]
    assert "Failed to deploy application." in errors, errors
    assert any("port is already allocated" in m for m in errors), errors
    assert peer.post("eb/bundle", {"environment": "set-prod"})["label"] == "set2"


def main():
    peer = Peer()
    try:
        eb, s3 = peer.client("elasticbeanstalk"), peer.client("s3")
        checks = [
            lambda: check_apps_and_environments(peer, eb),
            lambda: check_versions(peer, eb, s3),
            lambda: check_update_settles(peer, eb),
            lambda: check_presets(peer, eb),
            lambda: check_custom_timelines(peer, eb),
            lambda: check_settings_and_abort(peer, eb),
            lambda: check_throttling(peer),
            lambda: check_terminate(peer, eb),
            check_compose_rules,
            lambda: check_compose_bundles(peer, eb, s3),
        ]
        for check in checks:
            check()
        print(f"test_eb: {len(checks)} groups of checks passed")
    except BaseException:
        peer.stop()
        print("\n".join(peer.errors()), file=sys.stderr)
        raise
    peer.stop()


if __name__ == "__main__":
    main()

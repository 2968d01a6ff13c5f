"""ECS as the live service answers it, on top of moto (loaded by awspeer.py).

moto models ECS's resources but not its time: a service keeps the one deployment it was created
with, UpdateService never starts another, nothing fails or rolls back, there is no service
deployments API, and task definitions come back as they were sent. A deploy verdict judged
against moto is therefore never the one live ECS would give. This module adds what devloop's
verdict rests on (shared/AWS.md):

* RegisterTaskDefinition stores what live ECS stores: task `cpu` "1 vCPU" / ".5 vcpu" -> "1024" /
  "512", `memory` "2 GB" / "0.5GB" -> "2048" / "512" (the forms the API reference documents,
  case-insensitive; anything else is kept as sent), portMappings[].protocol "tcp", hostPort =
  containerPort under awsvpc and host networking, container systemControls [], registeredAt and
  registeredBy. moto already fills container cpu 0, essential true, environment / mountPoints /
  volumesFrom / portMappings [], task volumes / placementConstraints [] and revision numbers.
* Deployments that move along the clock. CreateService starts one PRIMARY deployment, COMPLETED
  with every task running. UpdateService with a different task definition (or
  forceNewDeployment) starts a new PRIMARY deployment (the previous one becomes ACTIVE) whose life
  follows the next scripted timeline; DescribeServices / CreateService / UpdateService /
  DeleteService answer with the peer's deployments, events (newest first, latest 100, live
  wording), taskDefinition, runningCount and pendingCount. A circuit-breaker rollback promotes
  the last COMPLETED deployment back to PRIMARY (naming the old task definition); the failed one
  stays ACTIVE with rolloutState FAILED and desiredCount 0 until the rollback completes. Tasks
  that fail are added to moto as STOPPED tasks (stoppedReason "Essential container in task
  exited", stopCode EssentialContainerExited, exit code 1) in group "service:<name>", and
  ListTasks honours serviceName (moto ignores it).
* The service deployments API: ListServiceDeployments (oldest first, 20 a page by default,
  filters status and createdAt {after, before}, nextToken), DescribeServiceDeployments and
  StopServiceDeployment (ROLLBACK rolls back: ROLLBACK_REQUESTED, then ROLLBACK_IN_PROGRESS at
  0.1 s, ROLLBACK_SUCCESSFUL at 1 s, times the service's scale; ABORT stops without rollback:
  STOP_REQUESTED, then STOPPED with rolloutState FAILED at 0.1 s).
* Old short service ARNs that cannot be tagged, and tags that read back stale for a while.
* Service Connect (moto ignores it): CreateService refuses a namespace Cloud Map does not have
  (NamespaceNotFoundException) and a portName no port mapping of the task definition carries
  (InvalidParameterException); the configuration is shown on every deployment with its
  serviceConnectResources, and a Cloud Map service is registered per published port. It stays
  when the ECS service is deleted, as live (Copilot's users meet "SC service is already used"):
  a later CreateService publishing that name is refused, and servicediscovery.py refuses to
  delete the namespace until it is deleted.

Controls (POST /_peer/ecs/<name>, JSON; "region" is optional everywhere, default us-east-1):

  ecs/script   {"cluster", "service", "updates": [UPDATE, ...], "scale": 1.0}
               Each UpdateService that starts a deployment on that service takes the next
               UPDATE; when none is left, "completes". "scale" multiplies every time below (it
               also applies to the default and to StopServiceDeployment). An UPDATE is a preset
               name or an explicit TIMELINE. Presets (seconds after UpdateService, D = desired):
                 completes        0 IN_PROGRESS, running 0, pending D, "has started D tasks";
                                  1.0 running D, pending 0, the old deployments drain to 0;
                                  2.0 COMPLETED ("deployment completed.", "has reached a steady
                                  state."), the old deployments are gone.
                 circuit_breaker  0 as above; 1.0 / 1.5 / 2.0 failedTasks rises to the breaker's
                                  threshold (3 unless D > 6), a STOPPED task and "has started 1
                                  tasks" each; 2.5 rollback: the new deployment FAILED ("ECS
                                  deployment circuit breaker: tasks failed to start.", desired
                                  0), the last COMPLETED one PRIMARY again IN_PROGRESS, service
                                  taskDefinition back to it; 3.5 that one COMPLETED, the failed
                                  one gone, "has reached a steady state.".
                 never            0 IN_PROGRESS, running 0, pending D; nothing more.
                 superseded       0 as above; 1.0 someone else's UpdateService lands: a new
                                  revision of the same family is registered and deploys
                                  ("completes"); ours becomes ACTIVE, its service deployment
                                  STOPPED.
               A TIMELINE is a list of phases, each applied once when its time comes:
                 {"at": seconds,                 required
                  "rollout_state": "IN_PROGRESS" | "COMPLETED" | "FAILED",
                  "running": n, "pending": n, "failed_tasks": n,   absent = unchanged
                  "reason": rolloutStateReason (default: live wording for the state),
                  "rollback": true,   first fail the deployment (reason = its rolloutStateReason,
                                      default the circuit breaker's) and promote the last
                                      COMPLETED one; later phases steer that one
                  "supersede": true,  someone else deploys a new revision (see above)
                  "events": ["(service {service}) ...", ...]}   oldest first; placeholders
                                      {service}, {deployment} (this update's deployment id),
                                      {previous} (the deployment a rollback returns to), {task}
                                      (a fresh task id at each occurrence)
               Phases steer this update's deployment: running / pending / failed_tasks set its
               counts (more failed_tasks = that many STOPPED tasks); while it is not rolled back,
               the older ACTIVE deployments run max(0, their desired - its running). COMPLETED
               sets running = desired, pending 0 and removes every other deployment; FAILED
               without rollback ends its service deployment as STOPPED.
  ecs/history  {"cluster", "service", "count": N}  N finished SUCCESSFUL service deployments,
               created 1..N days ago, only visible through the service deployments API.
  ecs/short_arn {"cluster", "service", "enabled": true}  the service's serviceArn is the old
               arn:aws:ecs:<region>:<account>:service/<name> in every answer; TagResource,
               UntagResource and ListTagsForResource on it answer 400 InvalidParameterException
               ("Long arn format must be used for tagging operations" for the short ARN, "The
               specified service does not have the longArn format. ..." for the long one).
  ecs/tag_lag  {"reads": N}  after each TagResource / UntagResource on a service, its next N
               ListTagsForResource calls answer the tags from before that write (0 = off).
  ecs/state    {"cluster", "service"} -> {"serviceArn", "taskDefinition", "runningCount",
               "pendingCount", "deployments", "events", "serviceDeployments"} as the peer sees
               them now (service deployments oldest first, with "status").
"""

import base64
import datetime
import io
import json
import math
import random
import re
import time
import uuid

import awspeer as P
from moto.core.exceptions import ServiceException
from moto.ec2.models import ec2_backends
from moto.ecs.models import Task, ecs_backends
from moto.servicediscovery.models import servicediscovery_backends as sd_backends

DEFAULT_REGION = "us-east-1"
TIMELINE_KEYS = {
    "at", "rollout_state", "running", "pending", "failed_tasks", "reason", "rollback",
    "supersede", "events",
}
LIVE = ("PRIMARY", "ACTIVE")
BREAKER_FAILED = "ECS deployment circuit breaker: tasks failed to start."
BREAKER_ROLLBACK = (
    "Service deployment rolled back because the circuit breaker threshold was exceeded."
)
# The next three are the peer's own wording (no live sample found).
USER_ROLLBACK = "Service deployment rolled back because of a user request."
USER_FAILED = "ECS deployment {deployment} stopped by a user request."
SUPERSEDED = "Service deployment stopped because a newer service deployment started."
SHORT_ARN_TAGGING = "Long arn format must be used for tagging operations"
LONG_ARN_MISSING = (
    "The specified service does not have the longArn format. "
    "Only services created after opting in will have the new format."
)
PAGE = 20
MAX_PAGE = 100

SERVICES = {}  # (region, cluster, service) -> Service
SCRIPTS = {}  # (region, cluster, service) -> {"updates": [...], "scale": float}
SHORT_ARNS = set()  # (region, cluster, service)
TAG_LAG = {"reads": 0}
STALE_TAGS = {}  # (region, cluster, service) -> {"tags": [...], "reads": n}


# --- helpers -----------------------------------------------------------------------------------


def backend(region):
    return ecs_backends[P.ACCOUNT][region]


def digits(n):
    return str(random.randint(1, 9)) + "".join(random.choice("0123456789") for _ in range(n - 1))


def token(n):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(random.choice(alphabet) for _ in range(n))


def stamp(t):
    return round(t, 3)


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def ecs_call(fn):
    """A handler or AFTER hook run under the peer's lock, moto's ECS errors in ECS's shape."""

    def run(req, *rest):
        try:
            with P.LOCK:
                return fn(req, *rest)
        except ServiceException as exc:
            return P.error(req, 400, exc.code, exc.message)

    run.__name__ = fn.__name__
    return run


def decoded(resp):
    return json.loads(resp.body) if resp.status == 200 and resp.body else None


def key_of(payload_or_req_json, region):
    cluster = (payload_or_req_json.get("cluster") or "default").split("/")[-1]
    return (region, cluster, payload_or_req_json["service"].split("/")[-1])


# --- task definitions --------------------------------------------------------------------------

VCPU = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*vcpu\s*$", re.IGNORECASE)
GB = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*gb\s*$", re.IGNORECASE)


def in_units(value, pattern):
    """"1 vCPU" -> "1024", "0.5 GB" -> "512" (1024 units each); anything else as it was."""
    match = pattern.match(value) if isinstance(value, str) else None
    return str(int(round(float(match.group(1)) * 1024))) if match else value


def network_mode(body):
    if body.get("networkMode"):
        return body["networkMode"]
    return "awsvpc" if "FARGATE" in (body.get("requiresCompatibilities") or []) else "bridge"


def normalize_container(container, mode):
    for mapping in container.get("portMappings") or []:
        mapping.setdefault("protocol", "tcp")
        if mode in ("awsvpc", "host") and "containerPort" in mapping:
            mapping.setdefault("hostPort", mapping["containerPort"])
    container.setdefault("systemControls", [])


@P.handler("ecs", "RegisterTaskDefinition")
@ecs_call
def register_normalized(req):
    """Hand moto the definition live ECS would store; moto answers with it."""
    body = req.json or {}
    for field, pattern in (("cpu", VCPU), ("memory", GB)):
        if field in body:
            body[field] = in_units(body[field], pattern)
    mode = network_mode(body)
    for container in body.get("containerDefinitions") or []:
        normalize_container(container, mode)
    raw = json.dumps(body).encode("utf-8")
    req.environ["wsgi.input"] = io.BytesIO(raw)
    req.environ["CONTENT_LENGTH"] = str(len(raw))
    return None


def registered(stored):
    """Give moto's task definition the registeredAt / registeredBy live ECS records."""
    stored.registered_at = datetime.datetime.now(datetime.timezone.utc)
    stored.registered_by = f"arn:aws:iam::{P.ACCOUNT}:root"
    return stored


@P.after("ecs", "RegisterTaskDefinition")
@ecs_call
def stamp_registration(req, resp):
    body = decoded(resp)
    if body is None:
        return resp
    td = body["taskDefinition"]
    stored = registered(backend(req.region).describe_task_definition(td["taskDefinitionArn"]))
    td["registeredAt"] = stamp(stored.registered_at.timestamp())
    td["registeredBy"] = stored.registered_by
    return P.json_response(req, body)


# --- the peer's view of a service --------------------------------------------------------------


class Deployment:
    """One ECS deployment and the service deployment (the newer API's record) that carries it."""

    def __init__(self, svc, task_definition, desired, at):
        self.svc = svc
        self.id = "ecs-svc/" + digits(19)
        self.arn = (
            f"arn:aws:ecs:{svc.region}:{P.ACCOUNT}:service-deployment/"
            f"{svc.cluster}/{svc.name}/{token(22)}"
        )
        self.revision_arn = (
            f"arn:aws:ecs:{svc.region}:{P.ACCOUNT}:service-revision/"
            f"{svc.cluster}/{svc.name}/{digits(19)}"
        )
        self.task_definition = task_definition
        self.desired = desired
        self.running, self.pending, self.failed = 0, desired, 0
        self.created_at = self.updated_at = at
        self.status = "PRIMARY"  # PRIMARY | ACTIVE | None (no longer on the service)
        self.rollout_state = "IN_PROGRESS"
        self.reason = None
        self.phases = []  # [(due epoch seconds, phase)], oldest first
        self.rollback_to = None  # the deployment ECS rolls back to
        self.target = self  # the deployment the phases steer (rollback_to once rolled back)
        self.sources = []  # deployments running when this one started
        self.scale = 1.0
        self.sd_status = "IN_PROGRESS"
        self.sd_reason = None
        self.finished_at = None
        self.rollback = None
        self.breaker = "MONITORING"
        self.breaker_threshold = min(200, max(3, math.ceil(desired * 0.5)))

    def state_reason(self):
        if self.reason:
            return self.reason
        word = {"COMPLETED": "completed", "IN_PROGRESS": "in progress"}.get(self.rollout_state)
        return f"ECS deployment {self.id} {word}." if word else BREAKER_FAILED

    def finish(self, status, at, reason=None):
        self.sd_status, self.finished_at = status, at
        self.sd_reason = reason or self.sd_reason
        self.phases = []
        if self.breaker == "MONITORING":
            self.breaker = "MONITORING_COMPLETE"


class Service:
    def __init__(self, region, cluster, name, created_at):
        self.region, self.cluster, self.name = region, cluster, name
        self.created_at = created_at
        self.deployments = []  # every deployment, oldest first (the history included)
        self.events = []  # newest first
        # Service Connect: the configuration CreateService was given, and the Cloud Map
        # services ECS registered for it ([{"id", "arn", "discoveryName"}]).
        self.service_connect = None
        self.cloud_map = []

    @property
    def key(self):
        return (self.region, self.cluster, self.name)

    @property
    def moto(self):
        return backend(self.region).services[f"{self.cluster}:{self.name}"]

    def live(self):
        """The deployments DescribeServices shows: PRIMARY first, then ACTIVE newest first."""
        return sorted(
            (d for d in self.deployments if d.status in LIVE),
            key=lambda d: (d.status != "PRIMARY", -d.created_at),
        )

    def primary(self):
        return next(d for d in self.deployments if d.status == "PRIMARY")

    def arn(self):
        if self.key in SHORT_ARNS:
            return f"arn:aws:ecs:{self.region}:{P.ACCOUNT}:service/{self.name}"
        return self.moto.arn

    def events_at(self, messages, dep, at):
        """Post `messages` (oldest first, placeholders expanded) a millisecond apart from `at`."""
        for offset, message in enumerate(messages):
            text = expand(message, self, dep)
            self.events.insert(
                0, {"id": str(uuid.uuid4()), "createdAt": stamp(at + offset * 0.001),
                    "message": text})
        del self.events[100:]


def started_tasks_message(count):
    tasks = " ".join("(task {task})" for _ in range(count))
    return f"(service {{service}}) has started {count} tasks: {tasks}."


def stopped_tasks_message(count):
    tasks = " ".join("(task {task})" for _ in range(count))
    return f"(service {{service}}) has stopped {count} running tasks: {tasks}."


def create_state(region, cluster, name, at):
    """A service as CreateService leaves it: one PRIMARY deployment, COMPLETED, all tasks up."""
    moto_svc = backend(region).services[f"{cluster}:{name}"]
    svc = Service(region, cluster, name, at)
    first = moto_svc.deployments[0]["taskDefinition"] if moto_svc.deployments else None
    dep = Deployment(svc, first or moto_svc.task_definition, moto_svc.desired_count, at)
    dep.rollout_state, dep.running, dep.pending = "COMPLETED", dep.desired, 0
    dep.finish("SUCCESSFUL", at)
    svc.deployments.append(dep)
    SERVICES[svc.key] = svc
    started = [started_tasks_message(dep.desired)] if dep.desired else []
    svc.events_at(started + [
        "(service {service}) (deployment {deployment}) deployment completed.",
        "(service {service}) has reached a steady state.",
    ], dep, at)
    return svc


def state_of(key):
    """The peer's view of a service moto has, made on first sight (e.g. created by a stack)."""
    region, cluster, name = key
    if key not in SERVICES:
        backend(region)._get_service(cluster, name)  # ClusterNotFound / ServiceNotFound
        create_state(region, cluster, name, time.time())
    svc = SERVICES[key]
    advance(svc, time.time())
    return svc


# --- timelines ---------------------------------------------------------------------------------


def preset(name, desired, draining):
    started = [started_tasks_message(desired)] if desired else []
    begin = {"at": 0, "rollout_state": "IN_PROGRESS", "running": 0, "pending": desired,
             "events": started}
    if name == "never":
        return [begin]
    if name == "completes":
        drained = [stopped_tasks_message(draining)] if draining else []
        return [
            begin,
            {"at": 1.0, "running": desired, "pending": 0, "events": drained},
            {"at": 2.0, "rollout_state": "COMPLETED", "events": [
                "(service {service}) (deployment {deployment}) deployment completed.",
                "(service {service}) has reached a steady state.",
            ]},
        ]
    if name == "circuit_breaker":
        threshold = min(200, max(3, math.ceil(desired * 0.5)))
        failing = [
            {"at": at, "failed_tasks": max(1, round(threshold * step / 3)),
             "events": [started_tasks_message(1)]}
            for step, at in ((1, 1.0), (2, 1.5), (3, 2.0))
        ]
        return [begin] + failing + [
            {"at": 2.5, "rollback": True, "events": [
                "(service {service}) (deployment {deployment}) deployment failed: "
                "tasks failed to start.",
                "(service {service}) rolling back to deployment {previous}.",
            ]},
            {"at": 3.5, "rollout_state": "COMPLETED",
             "events": ["(service {service}) has reached a steady state."]},
        ]
    if name == "superseded":
        return [begin, {"at": 1.0, "supersede": True}]
    raise ValueError(f"unknown ECS preset {name!r}")


def check_timeline(timeline):
    for phase in timeline:
        unknown = set(phase) - TIMELINE_KEYS
        if unknown or "at" not in phase:
            raise ValueError(f"bad ECS timeline phase {phase!r} (unknown {sorted(unknown)})")


def next_timeline(key, desired, draining):
    script = SCRIPTS.get(key, {})
    updates = script.get("updates") or []
    update = updates.pop(0) if updates else "completes"
    if isinstance(update, str):
        return preset(update, desired, draining), script.get("scale", 1.0)
    return [dict(phase) for phase in update], script.get("scale", 1.0)


def schedule(dep, timeline, at, scale):
    dep.scale = scale
    dep.phases = sorted(((at + phase["at"] * scale, phase) for phase in timeline),
                        key=lambda p: p[0])


def expand(message, svc, dep):
    previous = dep.rollback_to.id if dep.rollback_to else ""
    text = (message.replace("{service}", svc.name).replace("{deployment}", dep.id)
            .replace("{previous}", previous))
    return re.sub(r"\{task\}", lambda _: uuid.uuid4().hex, text)


def advance(svc, now):
    """Apply every phase that is due, in time order (a phase may start another deployment)."""
    while True:
        due = [d for d in svc.deployments if d.phases and d.phases[0][0] <= now]
        if not due:
            return
        dep = min(due, key=lambda d: d.phases[0][0])
        at, phase = dep.phases.pop(0)
        apply(svc, dep, phase, at)


def apply(svc, dep, phase, at):
    if phase.get("supersede"):
        supersede(svc, dep, at)
    if phase.get("rollback"):
        roll_back(svc, dep, at, phase.get("reason") or BREAKER_FAILED)
    target = dep.target
    if "failed_tasks" in phase:
        for _ in range(phase["failed_tasks"] - target.failed):
            record_failed_task(svc, target, at)
        target.failed = phase["failed_tasks"]
    for field in ("running", "pending"):
        if field in phase:
            setattr(target, field, phase[field])
    if phase.get("reason") and not phase.get("rollback"):
        target.reason = phase["reason"]
    state = phase.get("rollout_state")
    if state == "COMPLETED":
        complete(svc, dep, at)
    elif state == "FAILED" and not phase.get("rollback"):
        target.rollout_state = "FAILED"
        dep.finish("STOPPED", at)
    elif state:
        target.rollout_state = state
    if target is dep:
        drain(svc, dep)
    target.updated_at = at
    svc.events_at(phase.get("events") or [], dep, at)


def drain(svc, dep):
    for old in svc.live():
        if old is not dep and old.status == "ACTIVE" and old.rollout_state != "FAILED":
            old.running = min(old.running, max(0, old.desired - dep.running))
            old.pending = 0


def complete(svc, dep, at):
    target = dep.target
    target.rollout_state, target.reason = "COMPLETED", None
    target.running, target.pending = target.desired, 0
    for other in svc.live():
        if other is not target:
            other.status = None
            other.updated_at = at
    dep.finish("ROLLBACK_SUCCESSFUL" if dep.rollback else "SUCCESSFUL", at)


def roll_back(svc, dep, at, failed_reason):
    """Fail `dep` and promote the deployment it rolls back to, as ECS's rollback does."""
    by_user = dep.sd_status == "ROLLBACK_REQUESTED"
    rollback_reason = USER_ROLLBACK if by_user else BREAKER_ROLLBACK
    old = dep.rollback_to
    dep.status, dep.rollout_state, dep.reason = "ACTIVE", "FAILED", failed_reason
    dep.desired, dep.running, dep.pending = 0, 0, 0
    dep.updated_at = at
    old.status, old.rollout_state, old.reason = "PRIMARY", "IN_PROGRESS", None
    old.updated_at = at
    dep.target = old
    svc.moto.task_definition = old.task_definition
    dep.sd_status, dep.sd_reason = "ROLLBACK_IN_PROGRESS", rollback_reason
    dep.rollback = {"reason": rollback_reason, "startedAt": stamp(at),
                    "serviceRevisionArn": old.revision_arn}
    if not by_user:
        dep.breaker = "TRIGGERED"


def supersede(svc, dep, at):
    """Someone else's UpdateService: a new revision of the same family deploys over ours."""
    current = backend(svc.region).describe_task_definition(dep.task_definition)
    copy = registered(backend(svc.region).register_task_definition(
        current.family,
        [dict(c) for c in current.container_definitions],
        volumes=current.volumes,
        network_mode=current.network_mode,
        placement_constraints=current.placement_constraints,
        requires_compatibilities=current.requires_compatibilities,
        cpu=current.cpu,
        memory=current.memory,
        task_role_arn=getattr(current, "task_role_arn", None),
        execution_role_arn=getattr(current, "execution_role_arn", None),
    ))
    timeline = preset("completes", svc.moto.desired_count, dep.running)
    start_deployment(svc, copy.arn, at, timeline, dep.scale)


def start_deployment(svc, task_definition, at, timeline, scale):
    live = svc.live()
    new = Deployment(svc, task_definition, svc.moto.desired_count, at)
    completed = [d for d in live if d.rollout_state == "COMPLETED"]
    new.rollback_to = completed[0] if completed else (live[0] if live else None)
    new.sources = live
    for old in live:
        if old.status == "PRIMARY":
            old.status = "ACTIVE"
        if old.finished_at is None:
            old.finish("STOPPED", at, SUPERSEDED)
    svc.deployments.append(new)
    svc.moto.task_definition = task_definition
    schedule(new, timeline, at, scale)
    return new


def record_failed_task(svc, dep, at):
    """A task of `dep` that started and whose essential container exited 1, kept by moto."""
    ecs = backend(svc.region)
    moto_svc = svc.moto
    cluster = ecs._get_cluster(svc.cluster)
    td = ecs.describe_task_definition(dep.task_definition)
    if td.network_mode == "awsvpc" and not moto_svc.network_configuration:
        return  # moto cannot make such a task (and live ECS no such service)
    task = Task(
        cluster, td, None, None, ecs,
        group=f"service:{svc.name}",
        launch_type=moto_svc.launch_type or "",
        started_by=dep.id,
        networking_configuration=moto_svc.network_configuration or None,
        platform_version=moto_svc.platform_version,
    )
    for attachment in task.attachments:  # a stopped task's network interface is gone
        for detail in attachment["details"]:
            if detail["name"] == "networkInterfaceId":
                ec2_backends[P.ACCOUNT][svc.region].delete_network_interface(detail["value"])
        attachment["status"] = "DELETED"
    task.id = uuid.uuid4().hex
    task.created_at, task.started_at = utc(at - 8), utc(at - 5)
    task.stopping_at = task.execution_stopped_at = task.stopped_at = utc(at)
    task.last_status = task.desired_status = "STOPPED"
    task.stopped_reason = "Essential container in task exited"
    task.stop_code = "EssentialContainerExited"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = 1
    ecs.tasks.setdefault(cluster.name, {})[task.task_arn] = task


# --- answers: services -------------------------------------------------------------------------


def deployment_json(dep):
    moto_svc = dep.svc.moto
    out = {
        "id": dep.id,
        "status": dep.status,
        "taskDefinition": dep.task_definition,
        "desiredCount": dep.desired,
        "pendingCount": dep.pending,
        "runningCount": dep.running,
        "failedTasks": dep.failed,
        "createdAt": stamp(dep.created_at),
        "updatedAt": stamp(dep.updated_at),
        "launchType": moto_svc.launch_type,
        "rolloutState": dep.rollout_state,
        "rolloutStateReason": dep.state_reason(),
    }
    if moto_svc.launch_type == "FARGATE":
        out["platformVersion"] = "1.4.0"
        out["platformFamily"] = "Linux"
    if moto_svc.network_configuration:
        out["networkConfiguration"] = moto_svc.network_configuration
    if dep.svc.service_connect is not None:
        # Live ECS shows Service Connect on each deployment, not on the service.
        out["serviceConnectConfiguration"] = dep.svc.service_connect
        out["serviceConnectResources"] = [
            {"discoveryName": c["discoveryName"], "discoveryArn": c["arn"]}
            for c in dep.svc.cloud_map
        ]
    return out


def service_json(svc, out):
    """moto's service object with the peer's deployments, events and counts."""
    live = svc.live()
    out["serviceArn"] = svc.arn()
    out["taskDefinition"] = svc.primary().task_definition
    out["deployments"] = [deployment_json(d) for d in live]
    out["events"] = list(svc.events)
    out["runningCount"] = sum(d.running for d in live)
    out["pendingCount"] = sum(d.pending for d in live)
    out["createdAt"] = stamp(svc.created_at)
    out["currentServiceDeployment"] = svc.deployments[-1].arn
    return out


def rewrite_services(req, resp, field):
    body = decoded(resp)
    if body is None:
        return resp
    items = body[field] if isinstance(body[field], list) else [body[field]]
    for item in items:
        cluster = item["clusterArn"].split("/")[-1]
        key = (req.region, cluster, item["serviceName"])
        if f"{cluster}:{item['serviceName']}" in backend(req.region).services:
            service_json(state_of(key), item)
    return P.json_response(req, body)


def cloud_map_namespace(region, name_or_arn):
    """The Cloud Map namespace a Service Connect configuration names (by name or ARN)."""
    for ns in sd_backends[P.ACCOUNT][region].namespaces.values():
        if name_or_arn in (ns.name, ns.arn):
            return ns
    return None


def port_names(region, task_definition):
    td = backend(region).describe_task_definition(task_definition)
    return {p.get("name") for c in td.container_definitions for p in c.get("portMappings", [])}


@P.handler("ecs", "CreateService")
@ecs_call
def create_service(req):
    """Refuse a Service Connect configuration live ECS refuses; moto ignores it."""
    body = req.json or {}
    sc = body.get("serviceConnectConfiguration")
    if not sc or not sc.get("enabled"):
        return None
    cluster = backend(req.region).clusters.get((body.get("cluster") or "default").split("/")[-1])
    default_ns = ((getattr(cluster, "service_connect_defaults", None) or {}).get("namespace")
                  if cluster else None)
    ns_name = sc.get("namespace") or default_ns
    if not ns_name:
        return P.error(req, 400, "InvalidParameterException",
                       "Service Connect namespace must be specified when the cluster has no "
                       "default namespace.")
    if cloud_map_namespace(req.region, ns_name) is None:
        return P.error(req, 400, "NamespaceNotFoundException",
                       f"Namespace '{ns_name}' not found.")
    names = port_names(req.region, body.get("taskDefinition", ""))
    ns = cloud_map_namespace(req.region, ns_name)
    taken = {s.name for s in sd_backends[P.ACCOUNT][req.region].services.values()
             if s.namespace_id == ns.id}
    for published in sc.get("services", []):
        if published.get("portName") not in names:
            return P.error(req, 400, "InvalidParameterException",
                           f"Port name '{published.get('portName')}' in the Service Connect "
                           "configuration does not exist in the task definition.")
        if (published.get("discoveryName") or published.get("portName")) in taken:
            # What Copilot's users met after deleting a service: its Cloud Map service stays.
            return P.error(req, 400, "InvalidParameterException",
                           f"CreateService error: SC service is already used by {ns.arn}")
    return None


def service_connect_namespace(region, body):
    """The namespace a CreateService's Service Connect uses: its own, or the cluster's default."""
    sc = body.get("serviceConnectConfiguration") or {}
    cluster = backend(region).clusters.get((body.get("cluster") or "default").split("/")[-1])
    default_ns = ((getattr(cluster, "service_connect_defaults", None) or {}).get("namespace")
                  if cluster else None)
    return cloud_map_namespace(region, sc.get("namespace") or default_ns or "")


@P.after("ecs", "CreateService")
@ecs_call
def created(req, resp):
    body = decoded(resp)
    if body is not None:
        item = body["service"]
        svc = create_state(req.region, item["clusterArn"].split("/")[-1], item["serviceName"],
                           time.time())
        sc = (req.json or {}).get("serviceConnectConfiguration")
        ns = service_connect_namespace(req.region, req.json or {})
        if sc and sc.get("enabled") and ns is not None:
            svc.service_connect = sc
            for published in sc.get("services", []):
                name = published.get("discoveryName") or published.get("portName")
                made = sd_backends[P.ACCOUNT][req.region].create_service(
                    name=name, namespace_id=ns.id, creator_request_id=str(uuid.uuid4()),
                    description="managed by ECS Service Connect", dns_config=None,
                    health_check_config=None, health_check_custom_config=None, tags=[],
                    service_type="HTTP")
                svc.cloud_map.append({"id": made.id, "arn": made.arn, "discoveryName": name})
    return rewrite_services(req, resp, "service")


@P.after("ecs", "UpdateService")
@ecs_call
def updated(req, resp):
    if resp.status != 200:
        return resp
    body = req.json or {}
    svc = state_of(key_of(body, req.region))
    moto_svc = svc.moto
    primary = svc.primary()
    wanted = primary.task_definition
    if body.get("taskDefinition"):
        wanted = backend(req.region).describe_task_definition(body["taskDefinition"]).arn
    moto_svc.task_definition = wanted  # moto keeps what was sent ("web:2"); ECS the ARN
    now = time.time()
    if wanted != primary.task_definition or body.get("forceNewDeployment"):
        timeline, scale = next_timeline(svc.key, moto_svc.desired_count, primary.running)
        start_deployment(svc, wanted, now, timeline, scale)
        advance(svc, now)
    elif body.get("desiredCount") is not None:
        primary.desired = moto_svc.desired_count
        if primary.rollout_state == "COMPLETED":
            primary.running, primary.pending = primary.desired, 0
    return rewrite_services(req, resp, "service")


@P.after("ecs", "DescribeServices")
@ecs_call
def described(req, resp):
    return rewrite_services(req, resp, "services")


@P.after("ecs", "DeleteService")
@ecs_call
def deleted(req, resp):
    # The Cloud Map services Service Connect made for it stay behind (live ECS leaves them:
    # "SC service is already used" on a later CreateService), so the namespace cannot be deleted
    # until they are.
    return rewrite_services(req, resp, "service")


@P.after("ecs", "ListServices")
@ecs_call
def listed(req, resp):
    body = decoded(resp)
    if body is None or not SHORT_ARNS:
        return resp
    by_long = {
        svc.moto.arn: svc.arn() for key, svc in SERVICES.items() if key in SHORT_ARNS
    }
    body["serviceArns"] = [by_long.get(arn, arn) for arn in body["serviceArns"]]
    return P.json_response(req, body)


# --- answers: tasks ----------------------------------------------------------------------------


@P.handler("ecs", "ListTasks")
@ecs_call
def tasks_due(req):
    """Failed tasks appear in moto when their phase comes, so bring the services up to now."""
    now = time.time()
    for svc in list(SERVICES.values()):
        if svc.region == req.region:
            advance(svc, now)
    return None


@P.after("ecs", "ListTasks")
@ecs_call
def tasks_of_service(req, resp):
    body = decoded(resp)
    name = (req.json or {}).get("serviceName")
    if body is None or not name:
        return resp
    group = f"service:{name.split('/')[-1]}"
    tasks = {}
    for cluster_tasks in backend(req.region).tasks.values():
        tasks.update(cluster_tasks)
    body["taskArns"] = [a for a in body["taskArns"] if getattr(tasks.get(a), "group", "") == group]
    return P.json_response(req, body)


@P.after("ecs", "DescribeTasks")
@ecs_call
def container_sizes_as_strings(req, resp):
    """Live ECS sends a task's containers' cpu and memory as strings ("0", "512"); moto sends
    numbers, which the SDK's deserializer rightly refuses."""
    body = decoded(resp)
    if body is None:
        return resp
    for task in body.get("tasks", []):
        for container in task.get("containers", []):
            for key in ("cpu", "memory", "memoryReservation"):
                if isinstance(container.get(key), (int, float)):
                    container[key] = str(container[key])
    return P.json_response(req, body)


# --- answers: the service deployments API ------------------------------------------------------


def brief_json(dep):
    out = {
        "serviceDeploymentArn": dep.arn,
        "serviceArn": dep.svc.arn(),
        "clusterArn": dep.svc.moto.cluster_arn,
        "createdAt": stamp(dep.created_at),
        "startedAt": stamp(dep.created_at),
        "targetServiceRevisionArn": dep.revision_arn,
        "status": dep.sd_status,
    }
    if dep.finished_at is not None:
        out["finishedAt"] = stamp(dep.finished_at)
    if dep.sd_reason:
        out["statusReason"] = dep.sd_reason
    return out


def revision_json(dep):
    return {
        "arn": dep.revision_arn,
        "requestedTaskCount": dep.desired,
        "runningTaskCount": dep.running,
        "pendingTaskCount": dep.pending,
    }


def service_deployment_json(dep):
    out = brief_json(dep)
    del out["targetServiceRevisionArn"]
    out["updatedAt"] = stamp(dep.finished_at or max(dep.updated_at, dep.target.updated_at))
    out["sourceServiceRevisions"] = [revision_json(d) for d in dep.sources]
    out["targetServiceRevision"] = revision_json(dep)
    out["deploymentCircuitBreaker"] = {
        "status": dep.breaker,
        "failureCount": dep.failed,
        "threshold": dep.breaker_threshold,
    }
    if dep.rollback:
        out["rollback"] = dict(dep.rollback)
    if dep.sd_status == "STOPPED":
        out["stoppedAt"] = out["finishedAt"]
    return out


def find_deployment(arn):
    for svc in SERVICES.values():
        for dep in svc.deployments:
            if dep.arn == arn:
                advance(svc, time.time())
                return dep
    return None


def created_between(dep, window):
    after, before = window.get("after"), window.get("before")
    return (after is None or dep.created_at >= float(after)) and (
        before is None or dep.created_at <= float(before)
    )


def decode_token(text):
    try:
        return int(json.loads(base64.b64decode(text))["offset"])
    except (ValueError, KeyError, TypeError):
        return None


@P.handler("ecs", "ListServiceDeployments")
@ecs_call
def list_service_deployments(req):
    """Every service deployment of the service, oldest first, a page at a time."""
    body = req.json or {}
    if not body.get("service"):
        return P.error(req, 400, "InvalidParameterException", "Service name cannot be empty.")
    size = body.get("maxResults") or PAGE
    if not 1 <= size <= MAX_PAGE:
        return P.error(req, 400, "InvalidParameterException",
                       f"maxResults must be between 1 and {MAX_PAGE}.")
    offset = decode_token(body["nextToken"]) if body.get("nextToken") else 0
    if offset is None:
        return P.error(req, 400, "InvalidParameterException", "Invalid token")
    svc = state_of(key_of(body, req.region))
    statuses = set(body.get("status") or [])
    found = [
        d for d in svc.deployments
        if (not statuses or d.sd_status in statuses)
        and created_between(d, body.get("createdAt") or {})
    ]
    out = {"serviceDeployments": [brief_json(d) for d in found[offset:offset + size]]}
    if offset + size < len(found):
        out["nextToken"] = base64.b64encode(
            json.dumps({"offset": offset + size}).encode()).decode()
    return P.json_response(req, out)


@P.handler("ecs", "DescribeServiceDeployments")
@ecs_call
def describe_service_deployments(req):
    arns = (req.json or {}).get("serviceDeploymentArns") or []
    if not arns or len(arns) > 20:
        return P.error(req, 400, "InvalidParameterException",
                       "serviceDeploymentArns must hold between 1 and 20 ARNs.")
    out = {"serviceDeployments": [], "failures": []}
    for arn in arns:
        dep = find_deployment(arn)
        if dep is None:
            out["failures"].append({"arn": arn, "reason": "MISSING"})
        else:
            out["serviceDeployments"].append(service_deployment_json(dep))
    return P.json_response(req, out)


@P.handler("ecs", "StopServiceDeployment")
@ecs_call
def stop_service_deployment(req):
    body = req.json or {}
    dep = find_deployment(body.get("serviceDeploymentArn"))
    if dep is None:
        return P.error(req, 400, "ServiceDeploymentNotFoundException",
                       "The service deployment does not exist.")
    if dep.sd_status not in ("PENDING", "IN_PROGRESS") or dep.rollback_to is None:
        return P.error(req, 400, "ConflictException",
                       f"The service deployment is {dep.sd_status} and cannot be stopped.")
    now = time.time()
    if (body.get("stopType") or "ROLLBACK") == "ROLLBACK":
        dep.sd_status = "ROLLBACK_REQUESTED"
        dep.phases = [
            (now + 0.1 * dep.scale, {
                "rollback": True, "reason": USER_FAILED.replace("{deployment}", dep.id),
                "events": ["(service {service}) rolling back to deployment {previous}."]}),
            (now + 1.0 * dep.scale, {"rollout_state": "COMPLETED", "events": [
                "(service {service}) has reached a steady state."]}),
        ]
    else:
        dep.sd_status = "STOP_REQUESTED"
        dep.phases = [(now + 0.1 * dep.scale, {
            "rollout_state": "FAILED", "reason": USER_FAILED.replace(
                "{deployment}", dep.id)})]
    return P.json_response(req, {"serviceDeploymentArn": dep.arn})


# --- answers: tags -----------------------------------------------------------------------------


def tagged_service(req):
    """(key, short?) when the request's resourceArn names a service the peer knows, else None."""
    arn = (req.json or {}).get("resourceArn") or ""
    match = re.match(r"^arn:[^:]+:ecs:([^:]+):[^:]+:service/(?:([^/]+)/)?([^/]+)$", arn)
    if not match:
        return None
    region, cluster, name = match.groups()
    for key in list(SHORT_ARNS) + list(SERVICES):
        if key[0] == region and key[2] == name and (cluster is None or key[1] == cluster):
            return key, cluster is None
    return None


def short_arn_refusal(req):
    found = tagged_service(req)
    if found is None or found[0] not in SHORT_ARNS:
        return None
    message = SHORT_ARN_TAGGING if found[1] else LONG_ARN_MISSING
    return P.error(req, 400, "InvalidParameterException", message)


def tag_write(req, write):
    refusal = short_arn_refusal(req)
    if refusal is not None:
        return refusal
    found = tagged_service(req)
    if found is None or not TAG_LAG["reads"]:
        return None
    ecs = backend(req.region)
    arn = req.json["resourceArn"]
    before = [dict(t) for t in ecs.list_tags_for_resource(arn)]
    write(ecs, arn)
    STALE_TAGS[found[0]] = {"tags": before, "reads": TAG_LAG["reads"]}
    return P.json_response(req, {})


@P.handler("ecs", "TagResource")
@ecs_call
def tag_resource(req):
    return tag_write(req, lambda ecs, arn: ecs.tag_resource(arn, req.json.get("tags") or []))


@P.handler("ecs", "UntagResource")
@ecs_call
def untag_resource(req):
    return tag_write(req, lambda ecs, arn: ecs.untag_resource(arn, req.json.get("tagKeys") or []))


@P.handler("ecs", "ListTagsForResource")
@ecs_call
def list_tags(req):
    refusal = short_arn_refusal(req)
    if refusal is not None:
        return refusal
    found = tagged_service(req)
    stale = STALE_TAGS.get(found[0]) if found else None
    if not stale or stale["reads"] <= 0:
        return None
    stale["reads"] -= 1
    return P.json_response(req, {"tags": stale["tags"]})


# --- controls ----------------------------------------------------------------------------------


def control_key(payload):
    return key_of(payload, payload.get("region") or DEFAULT_REGION)


@P.control("ecs/script")
def script(payload):
    updates = list(payload.get("updates") or [])
    for update in updates:
        if isinstance(update, str):
            preset(update, 1, 0)  # raises on an unknown name
        else:
            check_timeline(update)
    with P.LOCK:
        SCRIPTS[control_key(payload)] = {"updates": updates,
                                         "scale": float(payload.get("scale", 1.0))}
    return {"ok": True}


@P.control("ecs/history")
def history(payload):
    with P.LOCK:
        svc = state_of(control_key(payload))
        now = time.time()
        count = int(payload["count"])
        for days in range(count, 0, -1):
            at = now - days * 86400 - random.uniform(0, 3600)
            old = Deployment(svc, svc.primary().task_definition, svc.moto.desired_count, at)
            old.status, old.rollout_state = None, "COMPLETED"
            old.running, old.pending = old.desired, 0
            old.finish("SUCCESSFUL", at + 240)
            svc.deployments.append(old)
        svc.deployments.sort(key=lambda d: d.created_at)
    return {"ok": True, "serviceDeployments": len(svc.deployments)}


@P.control("ecs/short_arn")
def short_arn(payload):
    with P.LOCK:
        if payload.get("enabled", True):
            SHORT_ARNS.add(control_key(payload))
        else:
            SHORT_ARNS.discard(control_key(payload))
    return {"ok": True}


@P.control("ecs/tag_lag")
def tag_lag(payload):
    with P.LOCK:
        TAG_LAG["reads"] = int(payload.get("reads", 0))
        if not TAG_LAG["reads"]:
            STALE_TAGS.clear()
    return {"ok": True}


@P.control("ecs/state")
def state(payload):
    with P.LOCK:
        svc = state_of(control_key(payload))
        live = svc.live()
        return {
            "serviceArn": svc.arn(),
            "taskDefinition": svc.primary().task_definition,
            "runningCount": sum(d.running for d in live),
            "pendingCount": sum(d.pending for d in live),
            "deployments": [deployment_json(d) for d in live],
            "events": list(svc.events),
            "serviceDeployments": [brief_json(d) for d in svc.deployments],
        }

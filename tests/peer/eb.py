"""Elastic Beanstalk for awspeer: environments that move along the clock, in live AWS's bytes.

moto models applications and environments that are always Ready and never change, and has no
application versions, UpdateEnvironment, DescribeEvents or DescribeEnvironmentHealth. A deploy to
Elastic Beanstalk is judged by exactly those, over time, so this module serves every Elastic
Beanstalk call it knows from its own state (never moto's), shaped as the live service answers,
quirks included (shared/AWS.md, "Where the live APIs differ"):

- application version `Status` is UPPER case on the wire (`PROCESSED`, `FAILED` ...), not the
  model's `Processed`, so the Rust SDK reads it as `Unknown`;
- DescribeEnvironmentHealth `Status` holds the environment status (`Ready`), not a colour;
- the first DescribeEnvironments after an UpdateEnvironment still shows the environment as it was;
- names of applications and environments match case-insensitively, answers carry the stored
  spelling.

An update to a version whose bundle holds a docker-compose.yml is checked as the Amazon Linux 2023
Docker platform would run it (`compose_problem`): the YAML parses, every `depends_on` names a
service of the file, `condition: service_healthy` needs a healthcheck on that service, at most one
service publishes host port 80. The peer adds one rule of the tests' own: an image pulled from a
registry host (`host[:port]/...`) must be pinned by `@sha256:`, as devloop releases every built
service. A bundle that breaks any of them fails its update as the platform fails it (ERROR events,
then the previous version back), whatever the script says.

Environments change by timelines: each UpdateEnvironment consumes the next one scripted for the
environment (`eb/script`), else `settles`. A timeline is a list of phases; the environment shows the
latest phase whose `at` (seconds after the update) has passed, computed on every read. Controls
(POST /_peer/eb/<name>, JSON):

    eb/environment  {"application", "environment", "version_label"?, "status"? ("Ready"),
                     "health"? ("Green"), "health_status"? ("Ok"), "causes"? ([]),
                     "settings"? ([{"namespace", "option", "value"}]), "region"? ("us-east-1")}
                    creates (or replaces) the environment, and the application and the version
                    (PROCESSED) when missing -> eb/state
    eb/script       {"environment" (or "application" for the process_* fields alone),
                     "updates"? [TIMELINE | PRESET NAME, ...], "scale"? (1.0),
                     "stale_reads"? (1), "process_seconds"? (0.5), "process_fail"? ("reason"|null)}
                    fields left out keep their value; "updates" replaces the queue
    eb/state        {"environment"} -> the environment as the tests should see it
    eb/bundle       {"environment"} -> the bundle of its last update: {"label", "files",
                    "compose" (docker-compose.yml's text or null), "updates" (how many)}, or {}
    eb/iam_propagation {"seconds"} -> for that long after its creation, an instance profile is
                    not there yet for CreateEnvironment's launch (IAM's eventual consistency):
                    the launch fails and the environment terminates, as live
    eb/terminate_seconds {"seconds"} -> how long a termination takes (1 s; live: minutes)
    eb/hurry        {"environment"} -> what its timeline has left happens now
    eb/reset        {} -> forget every application, environment and event

A phase: {"at", "status", "health", "health_status", "version" ("new" | "old" | a label),
"causes": [..], "events": [{"severity", "message"}]}; fields left out keep the previous phase's
values (before the first phase: Updating, Grey, Info, the new label, no causes). A phase's events
carry the update's RequestId and EventDate = update time + at, and are visible once that time has
passed. UpdateEnvironment itself emits "Environment update is starting.", so timelines need not.
"""

import hashlib
import io
import itertools
import json
import math
import random
import re
import string
import threading
import time
import zipfile
from dataclasses import dataclass, field, replace

import awspeer as P

SERVICE = "elasticbeanstalk"
SEVERITIES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
BUSY = ("Launching", "Updating", "Terminating", "Aborting")
# As ListAvailableSolutionStacks lists them: in no version order, many platforms, and a newest
# Docker platform whose version sorts first as text but not as a version (4.10 > 4.4).
SOLUTION_STACKS = [
    "64bit Amazon Linux 2023 v4.4.0 running Docker",
    "64bit Amazon Linux 2 v4.0.0 running Docker",
    "64bit Amazon Linux 2023 v6.6.3 running Node.js 22",
    "64bit Amazon Linux 2023 v4.10.2 running Docker",
    "64bit Amazon Linux 2023 v4.3.1 running ECS",
    "64bit Amazon Linux 2023 v4.9.0 running Docker",
    "64bit Windows Server 2022 v2.16.1 running IIS 10.0",
]
DEFAULT_SETTINGS = [
    ("aws:autoscaling:launchconfiguration", "InstanceType", "t3.micro"),
    ("aws:elasticbeanstalk:environment", "EnvironmentType", "LoadBalanced"),
    ("aws:elasticbeanstalk:healthreporting:system", "SystemType", "enhanced"),
    ("aws:elasticbeanstalk:command", "DeploymentPolicy", "AllAtOnce"),
    ("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs", "false"),
]
DEFAULT_PROCESS_SECONDS = 0.5
DEFAULT_STALE_READS = 1
BUNDLE_ROOT_FILES = (
    "Dockerrun.aws.json", "docker-compose.yml", "docker-compose.yaml", "Dockerfile",
)


def info(message):
    return {"severity": "INFO", "message": message}


COMPLETED = info("Environment update completed successfully.")
FAILED_DEPLOY = {"severity": "ERROR", "message": "Failed to deploy application."}
FIVE_XX = "100.0 % of the requests are failing with HTTP 5xx."
TO_DEGRADED = {
    "severity": "WARN",
    "message": f"Environment health has transitioned from Ok to Degraded. {FIVE_XX}",
}
SETTLES = [{"at": 1.0, "status": "Ready", "health": "Green", "health_status": "Ok",
            "events": [COMPLETED]}]
PRESETS = {
    "settles": SETTLES,
    "rollback_settles": SETTLES,
    "recovers": [
        {"at": 1.0, "status": "Ready", "health": "Red", "health_status": "Degraded",
         "causes": [FIVE_XX], "events": [COMPLETED, TO_DEGRADED]},
        {"at": 3.0, "health": "Green", "health_status": "Ok", "causes": [],
         "events": [info("Environment health has transitioned from Degraded to Ok.")]},
    ],
    "fails_reverts": [
        {"at": 1.0, "events": [
            FAILED_DEPLOY,
            {"severity": "ERROR", "message": (
                "During an aborted deployment, some instances may have deployed the new "
                "application version. To ensure all instances are running the same version, "
                "re-deploy the appropriate application version.")},
        ]},
        {"at": 2.0, "status": "Ready", "health": "Green", "health_status": "Ok", "version": "old",
         "events": [info("The environment was reverted to the previous configuration setting.")]},
    ],
    "fails_red": [
        {"at": 1.0, "status": "Ready", "health": "Red", "health_status": "Severe",
         "causes": ["Command failed on all instances."], "events": [FAILED_DEPLOY]},
    ],
    "never": [],
    "red_forever": [
        {"at": 1.0, "status": "Ready", "health": "Red", "health_status": "Degraded",
         "causes": [FIVE_XX], "events": [COMPLETED, TO_DEGRADED]},
    ],
}
LAUNCH_SECONDS = 1.0  # CreateEnvironment: Launching, then Ready
IAM_PROPAGATION = [0.0]  # seconds a new instance profile stays invisible (eb/iam_propagation)
TERMINATE_SECONDS = [1.0]  # TerminateEnvironment: Terminating, then Terminated (eb/terminate_seconds)

LOCK = threading.RLock()
APPS = {}  # lower-cased name -> App
ENVS = {}  # lower-cased name -> Env, every environment not terminated
GONE = []  # terminated environments, still listed by DescribeEnvironments
EVENTS = []
SEQ = itertools.count()  # orders events of the same date


# ---------------------------------------------------------------------------------------- state


class Fail(Exception):
    """An error answer in the live service's words."""

    def __init__(self, message, code="InvalidParameterValue", status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class App:
    name: str
    region: str
    description: str = None
    created: float = field(default_factory=time.time)
    versions: dict = field(default_factory=dict)  # label -> Version, oldest first
    process_seconds: float = DEFAULT_PROCESS_SECONDS
    process_fail: str = None
    tags: dict = field(default_factory=dict)

    def arn(self):
        return f"arn:aws:elasticbeanstalk:{self.region}:{P.ACCOUNT}:application/{self.name}"


@dataclass
class Version:
    app: App
    label: str
    description: str
    bucket: str
    key: str
    outcome: str  # what the status is (or becomes once processed)
    created: float = field(default_factory=time.time)
    ready_mono: float = None  # while processing: when it is done (time.monotonic())
    ready_wall: float = None

    def status(self):
        if self.ready_mono is not None and time.monotonic() < self.ready_mono:
            return "PROCESSING"
        return self.outcome

    def updated(self):
        if self.ready_mono is not None and time.monotonic() >= self.ready_mono:
            return self.ready_wall
        return self.created

    def arn(self):
        return (f"arn:aws:elasticbeanstalk:{self.app.region}:{P.ACCOUNT}:applicationversion/"
                f"{self.app.name}/{self.label}")


@dataclass
class View:
    """What DescribeEnvironments shows of an environment at one moment."""

    status: str
    health: str
    health_status: str
    label: str
    causes: list
    updated: float


@dataclass
class Update:
    """A timeline under way: (at, View) steps, `start` shown before the first."""

    request_id: str
    mono: float
    start: View
    steps: list
    before: View


@dataclass
class Script:
    queue: list = field(default_factory=list)  # resolved timelines, next first
    scale: float = 1.0
    stale_reads: int = DEFAULT_STALE_READS

    def next_timeline(self):
        return self.queue.pop(0) if self.queue else resolve("settles", self.scale)


@dataclass
class Env:
    name: str
    app: App
    region: str
    settled: View
    stack: str = SOLUTION_STACKS[0]
    id: str = field(default_factory=lambda: "e-" + token(10))
    created: float = field(default_factory=time.time)
    settings: dict = field(default_factory=lambda: {(n, o): v for n, o, v in DEFAULT_SETTINGS})
    update: Update = None
    stale_left: int = 0
    stale_view: View = None
    script: Script = field(default_factory=Script)
    suffix: str = field(default_factory=lambda: token(8))
    bundles: list = field(default_factory=list)  # {"label", "files", "compose"} per update
    tags: dict = field(default_factory=dict)

    def arn(self):
        return (f"arn:aws:elasticbeanstalk:{self.region}:{P.ACCOUNT}:environment/"
                f"{self.app.name}/{self.name}")

    def cname(self):
        return f"{self.name}.eba-{self.suffix}.{self.region}.elasticbeanstalk.com"

    def load_balancer(self):
        return f"awseb-{self.id}-AWSEBLoa-{self.suffix.upper()}"

    def endpoint(self):
        number = int(self.suffix, 36) % 10**9
        return f"{self.load_balancer()}-{number}.{self.region}.elb.amazonaws.com"

    def instance_id(self):
        return "i-0" + hashlib.sha1(self.id.encode()).hexdigest()[:16]

    def platform_arn(self):
        """The platform of a solution stack "64bit <os> v<version> running <platform>"."""
        m = re.fullmatch(r"64bit (.+) v([\d.]+) running (.+)", self.stack)
        if m is None:
            return None
        os_name, version, platform = m.groups()
        return (f"arn:aws:elasticbeanstalk:{self.region}::platform/"
                f"{platform} running on 64bit {os_name}/{version}")


@dataclass
class Event:
    seq: int
    date: float  # epoch seconds, whole milliseconds
    due: float  # time.monotonic() from which it is visible
    severity: str
    message: str
    app: str
    env: str = None
    label: str = None
    request_id: str = None
    platform_arn: str = None


def token(n):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def emit(app, severity, message, request_id, env=None, label=None, after=0.0):
    """Record an event `after` seconds from now (visible from then on)."""
    if severity not in SEVERITIES:
        raise ValueError(f"event severity {severity!r} is not one of {SEVERITIES}")
    EVENTS.append(Event(
        seq=next(SEQ),
        # Rounded up so an event is never earlier than a StartTime taken just before its request.
        date=math.ceil((time.time() + after) * 1000) / 1000,
        due=time.monotonic() + after,
        severity=severity,
        message=message,
        app=app.name,
        env=env.name if env else None,
        label=label,
        request_id=request_id,
        platform_arn=env.platform_arn() if env else None,
    ))


def resolve(timeline, scale):
    """A preset name or a list of phases -> phases sorted by `at`, `at` multiplied by scale."""
    if isinstance(timeline, str):
        if timeline not in PRESETS:
            raise ValueError(f"no preset timeline {timeline!r}; presets: {sorted(PRESETS)}")
        timeline = PRESETS[timeline]
    phases = [dict(p, at=float(p.get("at", 0)) * scale) for p in timeline]
    return sorted(phases, key=lambda p: p["at"])


def begin(env, request_id, start, phases, old, new):
    """Start a timeline: steps are computed now, their events scheduled at their times."""
    before, now = current(env), time.time()
    view = replace(start, updated=now)
    first, steps = view, []
    for phase in phases:
        version = phase.get("version")
        label = {"new": new, "old": old, None: view.label}.get(version, version)
        view = View(
            status=phase.get("status", view.status),
            health=phase.get("health", view.health),
            health_status=phase.get("health_status", view.health_status),
            label=label,
            causes=list(phase.get("causes", view.causes)),
            updated=now + phase["at"],
        )
        steps.append((phase["at"], view))
        for ev in phase.get("events", []):
            emit(env.app, ev["severity"], ev["message"], request_id, env=env, after=phase["at"])
    env.update = Update(request_id, time.monotonic(), first, steps, before)


def current(env):
    """The environment as it is now; a finished timeline becomes the settled state."""
    u = env.update
    if u is None:
        return env.settled
    elapsed = time.monotonic() - u.mono
    passed = [view for at, view in u.steps if at <= elapsed]
    view = passed[-1] if passed else u.start
    if len(passed) == len(u.steps) and view.status not in BUSY:
        env.settled, env.update = view, None
    return view


def find_env(name=None, env_id=None, app=None):
    """The live environment by name (any case) or id, else the live error."""
    env = None
    if name:
        env = ENVS.get(name.lower())
    elif env_id:
        env = next((e for e in ENVS.values() if e.id == env_id), None)
    else:
        raise Fail("Either EnvironmentName or EnvironmentId must be specified.", "MissingParameter")
    if env is None or (app and env.app.name.lower() != app.lower()):
        what = f"EnvironmentName = '{name}'" if name else f"EnvironmentId = '{env_id}'"
        raise Fail(f"No Environment found for {what}.")
    return env


def env_of(req):
    p = req.params
    return find_env(p.get("EnvironmentName"), p.get("EnvironmentId"), p.get("ApplicationName"))


def find_app(name):
    app = APPS.get((name or "").lower())
    if app is None:
        raise Fail(f"No Application named '{name}' found.")
    return app


def flag(value):
    return str(value).lower() == "true"


# ------------------------------------------------------------------------------ bundles in S3


def s3():
    from moto.s3.models import s3_backends

    return s3_backends[P.ACCOUNT]["aws"]


def read_bundle(bucket, key):
    """The object's bytes, or None when the bucket or the key does not exist."""
    from moto.s3.exceptions import S3ClientError

    try:
        obj = s3().get_object(bucket, key)
    except S3ClientError:
        return None
    return obj.value if obj is not None else None


def bundle_problem(data):
    """Why a Docker platform would refuse this source bundle, or None."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return "The source bundle is not a valid ZIP file."
    root = {}  # file name at the root -> its entry
    for entry in archive.namelist():
        name = entry[2:] if entry.startswith("./") else entry
        if "/" not in name:
            root[name] = entry
    if "Dockerrun.aws.json" in root:
        try:
            json.loads(archive.read(root["Dockerrun.aws.json"]))
        except ValueError as exc:
            return f"Dockerrun.aws.json is not valid JSON: {exc}."
        return None
    if root.keys() & set(BUNDLE_ROOT_FILES):
        return None
    return ("The source bundle has no Dockerrun.aws.json, docker-compose.yml or Dockerfile "
            "at its root.")


def bundle_files(data):
    """(sorted entry names, docker-compose.yml text or None) of a zip, or None if it is not one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None
    names = sorted(archive.namelist())
    compose = None
    for name in ("docker-compose.yml", "docker-compose.yaml"):
        if name in names:
            compose = archive.read(name).decode("utf-8", "replace")
            break
    return names, compose


def pulled_from_registry(image):
    """Whether an image reference names a registry host (`host.tld/..`, `host:port/..`)."""
    first, _, rest = image.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost")


def compose_problem(text):
    """Why `docker compose up` on Amazon Linux 2023 would refuse this file, or None."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"docker-compose.yml is not valid YAML: {exc}"
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return "docker-compose.yml has no services mapping"
    published_80 = []
    for name, svc in services.items():
        if not isinstance(svc, dict):
            return f"service {name!r} must be a mapping"
        image = svc.get("image")
        if not isinstance(image, str) or not image:
            return f"service {name!r} has neither an image nor a build section"
        if pulled_from_registry(image) and "@sha256:" not in image:
            return f"service {name!r} runs {image}, which is not pinned by digest"
        needs = svc.get("depends_on") or {}
        if isinstance(needs, list):
            needs = {n: {"condition": "service_started"} for n in needs}
        for need, how in needs.items():
            if need not in services:
                return f"service {name!r} depends on undefined service {need!r}: invalid compose project"
            condition = (how or {}).get("condition", "service_started")
            if condition == "service_healthy" and not services[need].get("healthcheck"):
                return f"dependency failed to start: container for service {need!r} has no healthcheck configured"
        for port in svc.get("ports") or []:
            host = str(port).split(":")[-2] if ":" in str(port) else None
            if host == "80":
                published_80.append(name)
    if len(published_80) > 1:
        return (f"Bind for 0.0.0.0:80 failed: port is already allocated "
                f"(services {', '.join(published_80)} both publish host port 80)")
    return None


def compose_failure(problem):
    """The timeline of an update the platform cannot run: ERROR events, the old version back."""
    return [
        {"at": 1.0, "events": [
            {"severity": "ERROR", "message": (
                "Instance deployment failed. For details, see 'eb-engine.log'. "
                f"docker compose up: {problem}")},
            FAILED_DEPLOY,
        ]},
        {"at": 2.0, "status": "Ready", "health": "Green", "health_status": "Ok", "version": "old",
         "events": [info("The environment was reverted to the previous configuration setting.")]},
    ]


def record_bundle(env, version):
    """Remember the bundle an update deploys; the compose problem it has, if any."""
    data = read_bundle(version.bucket, version.key) if version and version.bucket else None
    found = bundle_files(data) if data is not None else None
    if found is None:
        return None
    files, compose = found
    env.bundles.append({"label": version.label, "files": files, "compose": compose})
    return compose_problem(compose) if compose is not None else None


# ------------------------------------------------------------------------------------- XML


def el(tag, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{P.xml_escape(value)}</{tag}>"


def members(tag, items):
    """A query-protocol list; items are XML fragments."""
    if not items:
        return f"<{tag}/>"
    return f"<{tag}>" + "".join(f"<member>{i}</member>" for i in items) + f"</{tag}>"


def env_xml(env, view):
    return "".join([
        el("EnvironmentName", env.name),
        el("EnvironmentId", env.id),
        el("ApplicationName", env.app.name),
        el("VersionLabel", view.label),
        el("SolutionStackName", env.stack),
        el("PlatformArn", env.platform_arn()),
        el("EndpointURL", env.endpoint()),
        el("CNAME", env.cname()),
        el("DateCreated", P.iso(env.created)),
        el("DateUpdated", P.iso(view.updated)),
        el("Status", view.status),
        el("AbortableOperationInProgress", view.status == "Updating"),
        el("Health", view.health),
        el("HealthStatus", view.health_status),
        "<Tier><Name>WebServer</Name><Type>Standard</Type><Version>1.0</Version></Tier>",
        "<EnvironmentLinks/>",
        el("EnvironmentArn", env.arn()),
    ])


def version_xml(v):
    bundle = ""
    if v.bucket is not None:
        bundle = f"<SourceBundle>{el('S3Bucket', v.bucket)}{el('S3Key', v.key)}</SourceBundle>"
    return "".join([
        el("ApplicationVersionArn", v.arn()),
        el("ApplicationName", v.app.name),
        el("Description", v.description),
        el("VersionLabel", v.label),
        bundle,
        el("DateCreated", P.iso(v.created)),
        el("DateUpdated", P.iso(v.updated())),
        el("Status", v.status()),
    ])


def app_xml(app):
    return "".join([
        el("ApplicationArn", app.arn()),
        el("ApplicationName", app.name),
        el("Description", app.description),
        el("DateCreated", P.iso(app.created)),
        el("DateUpdated", P.iso(app.created)),
        members("Versions", [P.xml_escape(label) for label in reversed(app.versions)]),
        "<ConfigurationTemplates/>",
    ])


def event_xml(e):
    return "".join([
        el("EventDate", P.iso(e.date)),
        el("Message", e.message),
        el("ApplicationName", e.app),
        el("VersionLabel", e.label),
        el("EnvironmentName", e.env),
        el("PlatformArn", e.platform_arn),
        el("RequestId", e.request_id),
        el("Severity", e.severity),
    ])


def settings_xml(env):
    return members("OptionSettings", [
        el("Namespace", ns) + el("OptionName", name) + el("Value", value)
        for (ns, name), value in env.settings.items()
    ])


# --------------------------------------------------------------------------------- handlers


def action(name):
    """Register a handler for an Elastic Beanstalk action, serialized, Fail -> error answer."""

    def register(fn):
        def serve(req):
            with LOCK:
                reap()
                try:
                    return P.query_response(req, name, fn(req))
                except Fail as f:
                    return P.error(req, f.status, f.code, f.message)

        P.handler(SERVICE, name)(serve)
        return fn

    return register


def reap():
    """Environments whose timeline reached Terminated leave the live list (their names are free
    again) and stay listed for DescribeEnvironments with IncludeDeleted."""
    for key, env in list(ENVS.items()):
        if current(env).status == "Terminated":
            del ENVS[key]
            GONE.append(env)


def page(items, req, default_max=1000):
    """Offset paging with MaxRecords / NextToken -> (items, next token or None)."""
    start = int(req.params.get("NextToken") or 0)
    size = int(req.params.get("MaxRecords") or default_max)
    more = start + size < len(items)
    return items[start:start + size], (str(start + size) if more else None)


def new_app(name, region, description=None, tags=None):
    if name.lower() in APPS:
        raise Fail(f"Application {name} already exists.")
    app = APPS[name.lower()] = App(name, region, description, tags=dict(tags or {}))
    return app


def tags_of(req, prefix="Tags"):
    """Tags.member.N.Key / .Value -> {key: value}; the live limits on keys checked."""
    tags = {}
    for t in req.structs(prefix):
        key = t.get("Key", "")
        if not key or key.lower().startswith("aws:") or key.startswith("elasticbeanstalk:"):
            raise Fail(f"Tag key '{key}' is not valid: it may not be empty or begin with "
                       "'aws:' or 'elasticbeanstalk:'.", "InvalidParameterValue")
        tags[key] = t.get("Value", "")
    return tags


def sample_health_problem(env):
    """Causes of the sample application's health when the environment checks a path it does not
    serve (it answers `/` only), else []."""
    path = (env.settings.get(("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"))
            or env.settings.get(("aws:elasticbeanstalk:application", "Application Healthcheck URL")))
    if not path or path == "/":
        return []
    return ["100.0 % of the requests are failing with HTTP 4xx.",
            "ELB health is failing or not available for all instances."]


def instance_profile_problem(env):
    """What the live launch says when the instances have no usable instance profile."""
    name = env.settings.get(("aws:autoscaling:launchconfiguration", "IamInstanceProfile"))
    if not name:
        return "Environment must have instance profile associated with it."
    from moto.iam.models import iam_backends

    from moto.core.utils import utcnow

    profiles = iam_backends[P.ACCOUNT]["global"].instance_profiles.values()
    profile = next((p for p in profiles if name in (p.name, p.arn)), None)
    # IAM is eventually consistent: a profile made a moment ago is not there yet for Elastic
    # Beanstalk (IAM_PROPAGATION seconds, set by eb/iam_propagation).
    if profile is None or (utcnow() - profile.create_date).total_seconds() < IAM_PROPAGATION[0]:
        return f"The instance profile {name} associated with the environment does not exist."
    return None


def apply_settings(env, settings, removals):
    for s in settings:
        env.settings[(s["Namespace"], s["OptionName"])] = s.get("Value", "")
    for r in removals:
        env.settings.pop((r["Namespace"], r["OptionName"]), None)


@action("CreateApplication")
def create_application(req):
    app = new_app(req.params["ApplicationName"], req.region, req.params.get("Description"),
                  tags_of(req))
    return f"<Application>{app_xml(app)}</Application>"


@action("DeleteApplication")
def delete_application(req):
    app = find_app(req.params.get("ApplicationName"))
    running = [e for e in ENVS.values() if e.app is app]
    if running and not flag(req.params.get("TerminateEnvByForce")):
        raise Fail(f"Unable to delete application {app.name} because it has running "
                   "environments. Specify TerminateEnvByForce to terminate them.",
                   "OperationInProgressFailure")
    for env in running:
        terminate(env, req.request_id)
    del APPS[app.name.lower()]
    return ""


def resource_of(arn):
    """The application or live environment an ARN names, else the live error."""
    for app in APPS.values():
        if app.arn() == arn:
            return app
    for env in ENVS.values():
        if env.arn() == arn:
            return env
    raise Fail(f"Resource with ARN {arn} not found.", "ResourceNotFoundException", 400)


def tag_list(tags):
    return members("ResourceTags", [el("Key", k) + el("Value", v) for k, v in tags.items()])


@action("ListTagsForResource")
def list_tags_for_resource(req):
    arn = req.params.get("ResourceArn")
    return el("ResourceArn", arn) + tag_list(resource_of(arn).tags)


@action("UpdateTagsForResource")
def update_tags_for_resource(req):
    r = resource_of(req.params.get("ResourceArn"))
    r.tags.update(tags_of(req, "TagsToAdd"))
    for key in req.members("TagsToRemove"):
        r.tags.pop(key, None)
    return ""


@action("DescribeApplications")
def describe_applications(req):
    wanted = {n.lower() for n in req.members("ApplicationNames")}
    apps = [a for key, a in APPS.items() if not wanted or key in wanted]
    return members("Applications", [app_xml(a) for a in apps])


@action("CreateStorageLocation")
def create_storage_location(req):
    bucket = f"elasticbeanstalk-{req.region}-{P.ACCOUNT}"
    if bucket not in s3().buckets:
        s3().create_bucket(bucket, req.region)
    return el("S3Bucket", bucket)


@action("CreateApplicationVersion")
def create_application_version(req):
    p = req.params
    name, label = p["ApplicationName"], p["VersionLabel"]
    if name.lower() not in APPS and flag(p.get("AutoCreateApplication")):
        new_app(name, req.region)
    app = find_app(name)
    if label in app.versions:
        raise Fail(f"Application Version {label} already exists.")
    bucket, key = p.get("SourceBundle.S3Bucket"), p.get("SourceBundle.S3Key")
    problem = None
    if bucket is not None:
        data = read_bundle(bucket, key)
        if data is None:
            raise Fail(f"Unable to download from S3 location (Bucket: {bucket}  Key: {key}). "
                       "Reason: Not Found", "InvalidParameterCombination")
        problem = bundle_problem(data)
    version = Version(app, label, p.get("Description"), bucket, key, "UNPROCESSED")
    if flag(p.get("Process")):
        start_processing(version, app.process_fail or problem, req.request_id)
    app.versions[label] = version
    return f"<ApplicationVersion>{version_xml(version)}</ApplicationVersion>"


def start_processing(version, problem, request_id):
    """PROCESSING for the application's delay, then PROCESSED, or FAILED with an ERROR event."""
    delay = version.app.process_seconds
    version.ready_mono = time.monotonic() + delay
    version.ready_wall = version.created + delay
    version.outcome = "FAILED" if problem else "PROCESSED"
    if problem:
        message = f"Failed to process application version {version.label}: {problem}"
        emit(version.app, "ERROR", message, request_id, label=version.label, after=delay)


@action("DescribeApplicationVersions")
def describe_application_versions(req):
    name = req.params.get("ApplicationName")
    apps = [a for key, a in APPS.items() if not name or key == name.lower()]
    labels = set(req.members("VersionLabels"))
    found = [v for a in apps for v in a.versions.values() if not labels or v.label in labels]
    found.sort(key=lambda v: v.created, reverse=True)
    shown, nxt = page(found, req)
    return members("ApplicationVersions", [version_xml(v) for v in shown]) + el("NextToken", nxt)


@action("DeleteApplicationVersion")
def delete_application_version(req):
    app = find_app(req.params.get("ApplicationName"))
    label = req.params.get("VersionLabel")
    version = app.versions.get(label)
    if version is None:
        raise Fail(f"No Application Version named '{label}' found.")
    if version.status() == "PROCESSING":
        raise Fail(f"Unable to delete application version: {label}. An operation is already in "
                   "progress, please retry again shortly.", "OperationInProgressFailure")
    if flag(req.params.get("DeleteSourceBundle")) and version.bucket:
        s3().delete_object(version.bucket, version.key)
    del app.versions[label]
    return ""


@action("CreateEnvironment")
def create_environment(req):
    p = req.params
    app = find_app(p.get("ApplicationName"))
    name, label = p["EnvironmentName"], p.get("VersionLabel")
    if name.lower() in ENVS:
        raise Fail(f"Environment {name} already exists.")
    if label and label not in app.versions:
        raise Fail(f"No Application Version named '{label}' found.")
    stack = p.get("SolutionStackName")
    if not stack:
        raise Fail("No Solution Stack or Platform specified: set SolutionStackName, PlatformArn "
                   "or TemplateName.", "MissingParameter")
    if stack not in SOLUTION_STACKS:
        raise Fail(f"No Solution Stack named '{stack}' found.")
    tags = tags_of(req)
    start = View("Launching", "Grey", "Pending", label, [], time.time())
    env = Env(name, app, req.region, start, stack=stack)
    # The live service adds its own two tags to every environment.
    env.tags = {**tags, "elasticbeanstalk:environment-name": name,
                "elasticbeanstalk:environment-id": env.id}
    apply_settings(env, req.structs("OptionSettings"), req.structs("OptionsToRemove"))
    ENVS[name.lower()] = env
    emit(app, "INFO", "createEnvironment is starting.", req.request_id, env=env)
    problem = instance_profile_problem(env)
    if problem:
        # The launch fails and Elastic Beanstalk tears the environment down, as it does live.
        phases = [{"at": LAUNCH_SECONDS, "status": "Terminating", "health": "Grey",
                   "events": [{"severity": "ERROR", "message": problem},
                              {"severity": "ERROR", "message": "Failed to launch environment."}]},
                  {"at": LAUNCH_SECONDS + TERMINATE_SECONDS[0], "status": "Terminated",
                   "events": [info(f"Deleting SNS topic for environment {name}.")]}]
    elif label is None and sample_health_problem(env):
        # The sample application answers `/` only: a health check on another path fails.
        phases = [{"at": LAUNCH_SECONDS, "status": "Ready", "health": "Red",
                   "health_status": "Severe", "causes": sample_health_problem(env),
                   "events": [info(f"Successfully launched environment: {name}"),
                              {"severity": "WARN", "message": "Environment health has "
                               "transitioned from Pending to Severe. " +
                               " ".join(sample_health_problem(env))}]}]
    else:
        phases = [{"at": LAUNCH_SECONDS, "status": "Ready", "health": "Green",
                   "health_status": "Ok",
                   "events": [info(f"Successfully launched environment: {name}")]}]
    begin(env, req.request_id, start, phases, label, label)
    return env_xml(env, current(env))


@action("TerminateEnvironment")
def terminate_environment(req):
    env = env_of(req)
    terminate(env, req.request_id)
    return env_xml(env, current(env))


def terminate(env, request_id):
    """Terminating, then Terminated; listed (IncludeDeleted) but gone from every other call.
    Like the live service, only a Ready environment is terminated (not one launching or
    updating)."""
    view = current(env)
    if view.status in ("Launching", "Updating"):
        raise Fail(f"Environment named {env.name} is in an invalid state for this operation. "
                   "Must be Ready.")
    emit(env.app, "INFO", "terminateEnvironment is starting.", request_id, env=env)
    start = replace(view, status="Terminating", health="Grey")
    done = {"at": TERMINATE_SECONDS[0], "status": "Terminated", "health": "Grey",
            "health_status": None, "causes": [],
            "events": [info("terminateEnvironment completed successfully.")]}
    begin(env, request_id, start, [done], view.label, view.label)


@action("DescribeEnvironments")
def describe_environments(req):
    p = req.params
    names = {n.lower() for n in req.members("EnvironmentNames")}
    ids = set(req.members("EnvironmentIds"))
    candidates = list(ENVS.values())
    if flag(p.get("IncludeDeleted", "true")):
        candidates += GONE
    shown = []
    for env in candidates:
        if (names and env.name.lower() not in names) or (ids and env.id not in ids):
            continue
        if p.get("ApplicationName") and env.app.name.lower() != p["ApplicationName"].lower():
            continue
        view = read_for_describe(env)
        if p.get("VersionLabel") and view.label != p["VersionLabel"]:
            continue
        shown.append(env_xml(env, view))
    shown, nxt = page(shown, req)
    return members("Environments", shown) + el("NextToken", nxt)


def read_for_describe(env):
    """The live quirk: the first reads after an update still show the environment before it."""
    view = current(env)
    if env.stale_left > 0:
        env.stale_left -= 1
        return env.stale_view
    return view


@action("UpdateEnvironment")
def update_environment(req):
    env = env_of(req)
    label = req.params.get("VersionLabel")
    if label and label not in env.app.versions:
        raise Fail(f"No Application Version named '{label}' found.")
    view = current(env)
    if view.status != "Ready":
        raise Fail(f"Environment named {env.name} is in an invalid state for this operation. "
                   "Must be Ready.")
    apply_settings(env, req.structs("OptionSettings"), req.structs("OptionsToRemove"))
    new = label or view.label
    emit(env.app, "INFO", "Environment update is starting.", req.request_id, env=env)
    start = View("Updating", "Grey", "Info", new, [], time.time())
    timeline = env.script.next_timeline()
    problem = record_bundle(env, env.app.versions.get(label)) if label else None
    if problem:
        timeline = resolve(compose_failure(problem), env.script.scale)
    begin(env, req.request_id, start, timeline, view.label, new)
    env.stale_left, env.stale_view = env.script.stale_reads, view
    return env_xml(env, current(env))


@action("AbortEnvironmentUpdate")
def abort_environment_update(req):
    env = env_of(req)
    if current(env).status != "Updating":
        raise Fail(f"Environment named {env.name} is in an invalid state for this operation. "
                   "Must be Updating.")
    u, now = env.update, time.monotonic()
    if u is None:  # set Updating by eb/environment: no timeline, no earlier state to go back to
        request_id, before = req.request_id, replace(env.settled, status="Ready")
    else:  # the update's events still to come never happen
        request_id, before = u.request_id, u.before
        EVENTS[:] = [e for e in EVENTS if not (e.request_id == request_id and e.due > now)]
    env.settled, env.update = replace(before, updated=time.time()), None
    emit(env.app, "INFO", "Environment update was aborted.", request_id, env=env)
    return ""


@action("DescribeEvents")
def describe_events(req):
    p = req.params
    now = time.monotonic()
    start, end = P.parse_time(p.get("StartTime")), P.parse_time(p.get("EndTime"))
    floor = SEVERITIES.index(p.get("Severity", "TRACE"))

    def wanted(e):
        return (
            e.due <= now
            and same(p.get("ApplicationName"), e.app)
            and same(p.get("EnvironmentName"), e.env)
            and (not p.get("EnvironmentId") or env_id_of(e.env) == p["EnvironmentId"])
            and p.get("VersionLabel") in (None, e.label)
            and p.get("RequestId") in (None, e.request_id)
            and (start is None or e.date >= start - 1e-6)
            and (end is None or e.date < end - 1e-6)
            and SEVERITIES.index(e.severity) >= floor
        )

    found = sorted(filter(wanted, EVENTS), key=lambda e: (e.date, e.seq), reverse=True)
    shown, nxt = page(found, req)
    return members("Events", [event_xml(e) for e in shown]) + el("NextToken", nxt)


def same(asked, stored):
    """A name filter: none asked, or the same name in any case."""
    return asked is None or (stored is not None and stored.lower() == asked.lower())


def env_id_of(name):
    env = ENVS.get((name or "").lower()) or next((e for e in GONE if e.name == name), None)
    return env.id if env else None


INSTANCE_HEALTH = ["NoData", "Unknown", "Pending", "Ok", "Info", "Warning", "Degraded", "Severe"]


@action("DescribeEnvironmentHealth")
def describe_environment_health(req):
    env = env_of(req)
    view = current(env)
    asked = set(req.members("AttributeNames"))
    everything = "All" in asked

    def show(attribute):
        return everything or attribute in asked

    parts = [el("EnvironmentName", env.name)]
    if show("HealthStatus"):
        parts.append(el("HealthStatus", view.health_status))
    if show("Status"):
        parts.append(el("Status", view.status))  # the live quirk: Ready, Updating ... not a colour
    if show("Color"):
        parts.append(el("Color", view.health))
    if show("Causes"):
        parts.append(members("Causes", [P.xml_escape(c) for c in view.causes]))
    if show("InstancesHealth"):
        counts = "".join(el(k, int(k == (view.health_status or "NoData"))) for k in INSTANCE_HEALTH)
        parts.append(f"<InstancesHealth>{counts}</InstancesHealth>")
    if show("RefreshedAt"):
        parts.append(el("RefreshedAt", P.iso(time.time())))
    return "".join(parts)


@action("DescribeConfigurationSettings")
def describe_configuration_settings(req):
    env = find_env(req.params.get("EnvironmentName"), app=req.params.get("ApplicationName"))
    description = "".join([
        el("SolutionStackName", env.stack),
        el("PlatformArn", env.platform_arn()),
        el("ApplicationName", env.app.name),
        el("EnvironmentName", env.name),
        el("DeploymentStatus", "deployed"),
        el("DateCreated", P.iso(env.created)),
        el("DateUpdated", P.iso(current(env).updated)),
        settings_xml(env),
    ])
    return members("ConfigurationSettings", [description])


@action("DescribeEnvironmentResources")
def describe_environment_resources(req):
    env = env_of(req)
    instance = env.instance_id()
    return "<EnvironmentResources>" + "".join([
        el("EnvironmentName", env.name),
        members("AutoScalingGroups",
                [el("Name", f"awseb-{env.id}-stack-AWSEBAutoScalingGroup-{env.suffix.upper()}")]),
        members("Instances", [el("Id", instance)]),
        "<LaunchConfigurations/>",
        members("LaunchTemplates", [el("Id", "lt-0" + instance[3:])]),
        members("LoadBalancers", [el("Name", env.load_balancer())]),
        "<Triggers/>",
        "<Queues/>",
    ]) + "</EnvironmentResources>"


@action("ListAvailableSolutionStacks")
def list_available_solution_stacks(req):
    details = [el("SolutionStackName", s) + members("PermittedFileTypes", ["zip"])
               for s in SOLUTION_STACKS]
    return (members("SolutionStacks", [P.xml_escape(s) for s in SOLUTION_STACKS])
            + members("SolutionStackDetails", details))


# --------------------------------------------------------------------------------- controls


def locked_control(name):
    def register(fn):
        def run(payload):
            with LOCK:
                return fn(payload)

        P.control(name)(run)
        return fn

    return register


@locked_control("eb/environment")
def control_environment(payload):
    region = payload.get("region", "us-east-1")
    app_name, name = payload["application"], payload["environment"]
    app = APPS.get(app_name.lower()) or new_app(app_name, region)
    label = payload.get("version_label")
    if label and label not in app.versions:
        bucket = f"elasticbeanstalk-{region}-{P.ACCOUNT}"
        app.versions[label] = Version(app, label, None, bucket, f"{app.name}/{label}.zip",
                                      "PROCESSED")
    view = View(payload.get("status", "Ready"), payload.get("health", "Green"),
                payload.get("health_status", "Ok"), label, list(payload.get("causes", [])),
                time.time())
    env = Env(name, app, region, view)
    for s in payload.get("settings", []):
        env.settings[(s["namespace"], s["option"])] = str(s["value"])
    ENVS[name.lower()] = env
    return state(env)


@locked_control("eb/script")
def control_script(payload):
    if "environment" in payload:
        env = find_env(payload["environment"])
        script, app = env.script, env.app
    else:
        script, app = None, find_app(payload["application"])
    if "process_seconds" in payload:
        app.process_seconds = float(payload["process_seconds"])
    if "process_fail" in payload:
        app.process_fail = payload["process_fail"]
    if script is None:
        return {"ok": True}
    script.scale = float(payload.get("scale", script.scale))
    if "stale_reads" in payload:
        script.stale_reads = int(payload["stale_reads"])
    if "updates" in payload:
        script.queue = [resolve(t, script.scale) for t in payload["updates"]]
    return {"ok": True, "queued": len(script.queue)}


@locked_control("eb/event")
def control_event(payload):
    """{"environment", "severity", "message", "ago"? seconds}: an event that already happened."""
    env = find_env(payload["environment"])
    emit(env.app, payload.get("severity", "INFO"), payload["message"], None, env=env,
         label=current(env).label, after=-float(payload.get("ago", 0)))
    return {"ok": True}


@locked_control("eb/state")
def control_state(payload):
    name = payload["environment"].lower()
    env = ENVS.get(name) or next((e for e in reversed(GONE) if e.name.lower() == name), None)
    if env is None:
        raise ValueError(f"no environment {payload['environment']!r}")
    return state(env)


@locked_control("eb/bundle")
def control_bundle(payload):
    name = payload["environment"].lower()
    env = ENVS.get(name) or next((e for e in reversed(GONE) if e.name.lower() == name), None)
    if env is None:
        raise ValueError(f"no environment {payload['environment']!r}")
    if not env.bundles:
        return {}
    return dict(env.bundles[-1], updates=len(env.bundles))


@locked_control("eb/iam_propagation")
def control_iam_propagation(payload):
    IAM_PROPAGATION[0] = float(payload.get("seconds", 0))
    return {"ok": True}


@locked_control("eb/terminate_seconds")
def control_terminate_seconds(payload):
    """How long a termination takes (the live service takes minutes)."""
    TERMINATE_SECONDS[0] = float(payload.get("seconds", 1.0))
    return {"ok": True}


@locked_control("eb/hurry")
def control_hurry(payload):
    """What the environment's timeline has left happens now (a termination of minutes ends)."""
    env = find_env(payload.get("environment"))
    u = env.update
    if u is not None:
        u.steps = [(0, view) for _, view in u.steps]
        now = time.monotonic()
        for e in EVENTS:
            if e.request_id == u.request_id and e.due > now:
                e.due = now
    return {"ok": True}


@locked_control("eb/reset")
def control_reset(payload):
    APPS.clear()
    ENVS.clear()
    GONE.clear()
    EVENTS.clear()
    return {"ok": True}


def state(env):
    view = current(env)
    now = time.monotonic()
    events = sorted((e for e in EVENTS if e.due <= now and e.app == env.app.name
                     and e.env in (None, env.name)), key=lambda e: (e.date, e.seq), reverse=True)
    return {
        "application": env.app.name,
        "environment": env.name,
        "id": env.id,
        "status": view.status,
        "health": view.health,
        "health_status": view.health_status,
        "causes": view.causes,
        "version_label": view.label,
        "date_updated": P.iso(view.updated),
        "abortable": view.status == "Updating",
        "update_request_id": env.update.request_id if env.update else None,
        "stale_reads_left": env.stale_left,
        "updates_queued": len(env.script.queue),
        "settings": [{"namespace": ns, "option": o, "value": v}
                     for (ns, o), v in env.settings.items()],
        "versions": [{"label": v.label, "status": v.status()} for v in env.app.versions.values()],
        "events": [{"date": P.iso(e.date), "severity": e.severity, "message": e.message,
                    "request_id": e.request_id, "version_label": e.label,
                    "environment": e.env} for e in events],
    }

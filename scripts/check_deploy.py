#!/usr/bin/env python3
"""Consistency checks of deploy/ against this repository (run by scripts/lint-deploy.sh).

What yamllint and the Kubernetes schemas cannot see:
  * compose.yaml: the services that must be there are there (PostgreSQL, Redis
    with AOF, migrate, serve, worker, an OpenTelemetry collector); every image is
    pinned or built from a Dockerfile that exists; the kompisd containers run
    subcommands that kompisd has; serve and worker start after a successful
    migrate and healthy PostgreSQL and Redis; the long-running services have
    health checks, serve's by the gRPC health probe the image ships; mounted
    files exist.
  * Dockerfile: builds the kompisd package of this workspace and the health
    probe, with the Rust release that rust-toolchain.toml pins; runs as a
    non-root user with ENTRYPOINT ["kompisd"].
  * Kubernetes, for the kustomize base and every overlay as rendered by
    scripts/kustomize_render.py: the kompisd containers run known subcommands,
    are non-root with a read-only root filesystem and resources; serve and
    worker run at least two replicas; serve has native gRPC readiness and
    liveness probes on its gRPC port; a Job runs the migrations; an HPA scales
    a Deployment that exists from at least two; Services, PodDisruptionBudgets
    and NetworkPolicies select pods that a workload makes; a headless Service
    serves client-side gRPC balancing; referenced ConfigMaps and Secrets are
    defined (the Secret by its template).

Usage: check_deploy.py [REPO_ROOT]   (exit 1 and a list of problems on failure)
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kustomize_render  # noqa: E402  (beside this file)

SUBCOMMANDS = ["serve", "worker", "migrate", "token"]
REQUIRED_COMPOSE_SERVICES = {"postgres", "redis", "migrate", "kompisd", "worker", "otel-collector"}
# The gRPC health probe the image ships (deploy/health-probe) and compose uses.
HEALTH_PROBE = "grpc-health-probe"


class Checker:
    def __init__(self, root: str) -> None:
        self.root = root
        self.problems: list[str] = []
        self.checked = 0

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def ok(self, cond: bool, where: str, what: str) -> bool:
        self.checked += 1
        if not cond:
            self.fail(where, what)
        return cond

    def rel(self, path: str) -> str:
        return os.path.relpath(path, self.root)


# ------------------------------------------------------------- kompisd facts --

def kompisd_subcommands(c: Checker) -> tuple[set[str], str]:
    """Subcommands of kompisd: from a built binary's --help if one exists,
    otherwise the expected list, each confirmed in the crate's source."""
    for profile in ("release", "debug"):
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(c.root, "target")
        binary = os.path.join(target, profile, "kompisd")
        if os.access(binary, os.X_OK):
            try:
                out = subprocess.run(
                    [binary, "--help"], capture_output=True, text=True, timeout=20
                ).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            found = set()
            in_commands = False
            for line in out.splitlines():
                if re.match(r"^\s*(Commands|SUBCOMMANDS):", line):
                    in_commands = True
                    continue
                if in_commands:
                    m = re.match(r"^\s{2,}([a-z][a-z0-9-]*)\b", line)
                    if m:
                        found.add(m.group(1))
                    elif line.strip() and not line.startswith(" "):
                        in_commands = False
            if found:
                return found, f"{c.rel(binary)} --help"
    src = ""
    for path in glob.glob(os.path.join(c.root, "services/kompisd/src/**/*.rs"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            src += fh.read()
    found = {s for s in SUBCOMMANDS if re.search(rf"\b{s}\b", src, re.IGNORECASE)}
    return found, "services/kompisd/src"


def workspace_packages(root: str) -> set[str]:
    names = set()
    for path in glob.glob(os.path.join(root, "**/Cargo.toml"), recursive=True):
        if "/target/" in path or "/.venv" in path:
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        m = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', text, re.MULTILINE | re.DOTALL)
        if m:
            names.add(m.group(1))
    return names


def toolchain_channel(root: str) -> str | None:
    try:
        with open(os.path.join(root, "rust-toolchain.toml"), encoding="utf-8") as fh:
            m = re.search(r'^channel\s*=\s*"([^"]+)"', fh.read(), re.MULTILINE)
            return m.group(1) if m else None
    except OSError:
        return None


# -------------------------------------------------------------- Dockerfile --

def check_dockerfile(c: Checker, path: str, packages: set[str]) -> None:
    where = c.rel(path)
    if not c.ok(os.path.isfile(path), where, "missing"):
        return
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    args = {}
    for line in lines:
        m = re.match(r"^ARG\s+(\w+)=(\S+)", line)
        if m:
            args[m.group(1)] = m.group(2)

    def expand(s: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), s)

    froms = [expand(line.split()[1]) for line in lines if line.startswith("FROM ")]
    c.ok(len(froms) >= 2, where, "expected a multi-stage build (builder and runtime)")
    builder = froms[0] if froms else ""
    m = re.match(r"^rust:(\d+\.\d+)(?:\.\d+)?-(\w+)$", builder)
    if c.ok(bool(m), where, f"builder image {builder!r} is not rust:<version>-<debian>"):
        channel = toolchain_channel(c.root)
        if channel and re.match(r"^\d+\.\d+", channel):
            want = ".".join(channel.split(".")[:2])
            c.ok(
                m.group(1) == want,
                where,
                f"builder uses Rust {m.group(1)} but rust-toolchain.toml pins {channel}",
            )
    runtime = froms[-1] if froms else ""
    c.ok(runtime.startswith("debian:") and runtime.endswith("-slim"), where,
         f"runtime image {runtime!r} is not a debian slim image")
    text = "\n".join(lines)
    m = re.search(r"cargo build[^\n]*-p\s+(\S+)", text)
    if c.ok(bool(m), where, "no `cargo build ... -p PACKAGE`"):
        c.ok(m.group(1) in packages, where,
             f"builds package {m.group(1)!r}, not in the workspace ({', '.join(sorted(packages))})")
    c.ok("--locked" in text, where, "cargo build without --locked")
    c.ok(re.search(rf"cargo build[^\n]*-p\s+{HEALTH_PROBE}\b", text) is not None
         and HEALTH_PROBE in packages, where, f"does not build the {HEALTH_PROBE} package")
    c.ok(re.search(rf"^COPY --from=\S+ \S*{HEALTH_PROBE} ", text, re.MULTILINE) is not None, where,
         f"the runtime stage does not ship {HEALTH_PROBE}")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    c.ok(bool(users) and users[-1].split(":")[0] not in ("root", "0"), where,
         "the runtime stage must switch to a non-root USER")
    c.ok('ENTRYPOINT ["kompisd"]' in text, where, 'missing ENTRYPOINT ["kompisd"]')
    c.ok('CMD ["serve"]' in text, where, 'missing CMD ["serve"]')
    ignore = path + ".dockerignore"
    if os.path.isfile(ignore):
        with open(ignore, encoding="utf-8") as fh:
            ignored = {line.strip().rstrip("/") for line in fh if line.strip() and not line.startswith("#")}
        for needed in ("Cargo.toml", "Cargo.lock", "services", "proto"):
            c.ok(needed not in ignored, c.rel(ignore), f"must not exclude {needed}")


# ------------------------------------------------------------------ compose --

def command_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value]


def check_compose(c: Checker, path: str, subcommands: set[str]) -> None:
    where = c.rel(path)
    if not c.ok(os.path.isfile(path), where, "missing"):
        return
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    base = os.path.dirname(path)
    services = doc.get("services") or {}
    missing = REQUIRED_COMPOSE_SERVICES - set(services)
    c.ok(not missing, where, f"missing services: {', '.join(sorted(missing))}")

    built_images = {}
    for name, svc in services.items():
        build = svc.get("build")
        if build is not None:
            if isinstance(build, str):
                build = {"context": build}
            ctx = os.path.normpath(os.path.join(base, build.get("context", ".")))
            dockerfile = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
            c.ok(os.path.isdir(ctx), f"{where} {name}", f"build context {build.get('context')} not found")
            c.ok(os.path.isfile(dockerfile), f"{where} {name}",
                 f"Dockerfile {c.rel(dockerfile)} not found")
            if svc.get("image"):
                built_images[svc["image"]] = name
    volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        w = f"{where} service {name}"
        image = svc.get("image")
        c.ok(bool(image) or "build" in svc, w, "neither image nor build")
        if image and "build" not in svc and image not in built_images:
            c.ok(":" in image and not image.endswith(":latest"), w,
                 f"image {image!r} should be pinned to a tag")
        if image in built_images or "build" in svc:
            cmd = command_list(svc.get("command"))
            c.ok(bool(cmd) and cmd[0] in subcommands, w,
                 f"command {cmd!r} is not a kompisd subcommand ({', '.join(sorted(subcommands)) or 'none found'})")
        deps = svc.get("depends_on") or []
        for dep in deps if isinstance(deps, list) else deps.keys():
            c.ok(dep in services, w, f"depends_on unknown service {dep!r}")
        long_running = svc.get("restart", "no") != "no" and "profiles" not in svc
        if long_running:
            c.ok("healthcheck" in svc, w, "long-running service without a healthcheck")
        for vol in svc.get("volumes") or []:
            src = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
            if src.startswith((".", "/")):
                c.ok(os.path.exists(os.path.normpath(os.path.join(base, src))), w,
                     f"mounted file {src} not found")
            elif src:
                c.ok(src in volumes, w, f"named volume {src!r} not declared")
        env = svc.get("environment") or {}
        if image in built_images or "build" in svc:
            c.ok("DATABASE_URL" in env and "REDIS_URL" in env, w,
                 "kompisd needs DATABASE_URL and REDIS_URL")
    serve = services.get("kompisd") or {}
    if serve:
        c.ok(command_list(serve.get("command"))[:1] == ["serve"], f"{where} service kompisd",
             "should run `serve`")
        env = serve.get("environment") or {}
        c.ok(str(env.get("KOMPIS_GRPC_ADDR", "")).startswith("0.0.0.0:"), f"{where} service kompisd",
             "KOMPIS_GRPC_ADDR must listen on 0.0.0.0 inside a container")
    worker = services.get("worker") or {}
    if worker:
        c.ok(command_list(worker.get("command"))[:1] == ["worker"], f"{where} service worker",
             "should run `worker`")
    migrate = services.get("migrate") or {}
    if migrate:
        c.ok(command_list(migrate.get("command"))[:1] == ["migrate"], f"{where} service migrate",
             "should run `migrate`")
        c.ok(str(migrate.get("restart", "no")) == "no", f"{where} service migrate", "a one-shot job: restart \"no\"")
    redis = services.get("redis") or {}
    if redis:
        cmd = command_list(redis.get("command"))
        c.ok("--appendonly" in cmd and cmd[cmd.index("--appendonly") + 1:][:1] == ["yes"],
             f"{where} service redis", "Redis must run with --appendonly yes (AOF)")
    # Start order: serve and worker after a successful migrate and healthy stores.
    wanted = {"migrate": "service_completed_successfully", "postgres": "service_healthy",
              "redis": "service_healthy"}
    for name in ("kompisd", "worker"):
        deps = (services.get(name) or {}).get("depends_on") or {}
        for dep, condition in wanted.items():
            got = deps.get(dep, {}).get("condition") if isinstance(deps, dict) else None
            c.ok(got == condition, f"{where} service {name}", f"depends_on {dep} needs condition {condition}")
    check = command_list((serve.get("healthcheck") or {}).get("test"))
    c.ok(HEALTH_PROBE in check, f"{where} service kompisd",
         f"the healthcheck should ask gRPC health with {HEALTH_PROBE}")


# --------------------------------------------------------------- Kubernetes --

def load_manifests(paths: list[str]) -> list[tuple[str, dict]]:
    """Documents of plain YAML files, each with the file it came from."""
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for doc in yaml.safe_load_all(fh):
                if doc:
                    docs.append((path, doc))
    return docs


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def pod_spec(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def check_kubernetes(c: Checker, label: str, docs: list[tuple[str, dict]], templates: list[tuple[str, dict]],
                     subcommands: set[str]) -> None:
    """Checks one rendered kustomization; `templates` are documents created out of band."""
    c.ok(bool(docs), label, "no manifests rendered")
    by_kind: dict[str, list[tuple[str, dict]]] = {}
    for path, doc in docs:
        by_kind.setdefault(doc.get("kind", "?"), []).append((path, doc))
    names = {(d["kind"], d["metadata"]["name"]) for _, d in docs + templates}
    namespaces = {d["metadata"]["name"] for _, d in by_kind.get("Namespace", [])}
    if namespaces:
        for path, doc in docs:
            ns = doc["metadata"].get("namespace")
            if doc["kind"] != "Namespace":
                c.ok(ns in namespaces, path, f"{doc['kind']}/{doc['metadata']['name']}: namespace {ns!r} "
                     "is not defined in the manifests")

    pod_templates = []
    migrate_jobs = 0
    for path, dep in by_kind.get("Deployment", []) + by_kind.get("Job", []):
        kind = dep["kind"]
        w = f"{path} {kind}/{dep['metadata']['name']}"
        spec = dep["spec"]
        tmpl = spec["template"]
        labels = tmpl["metadata"].get("labels", {})
        pod_templates.append(labels)
        if kind == "Deployment":
            c.ok(matches(spec["selector"].get("matchLabels"), labels), w,
                 "selector does not match the pod template labels")
        pod = tmpl["spec"]
        psc = pod.get("securityContext", {})
        c.ok(psc.get("runAsNonRoot") is True, w, "pod securityContext.runAsNonRoot must be true")
        containers = pod.get("containers", []) + pod.get("initContainers", [])
        for ctr in containers:
            cw = f"{w} container {ctr['name']}"
            sc = ctr.get("securityContext", {})
            c.ok(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem must be true")
            c.ok(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation must be false")
            res = ctr.get("resources", {})
            c.ok(bool(res.get("requests")) and bool((res.get("limits") or {}).get("memory")), cw,
                 "resource requests and a memory limit are required")
            image = ctr.get("image", "")
            c.ok(":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), cw,
                 f"image {image!r} should be pinned to a tag")
            if image.rsplit("/", 1)[-1].split(":")[0] == "kompisd":
                args = (ctr.get("command") or [])[1:] + (ctr.get("args") or [])
                c.ok(bool(args) and args[0] in subcommands, cw,
                     f"args {args!r} is not a kompisd subcommand ({', '.join(sorted(subcommands)) or 'none found'})")
                for ref in ctr.get("envFrom", []):
                    if "configMapRef" in ref:
                        c.ok(("ConfigMap", ref["configMapRef"]["name"]) in names, cw,
                             f"ConfigMap {ref['configMapRef']['name']!r} not defined")
                    if "secretRef" in ref:
                        c.ok(("Secret", ref["secretRef"]["name"]) in names, cw,
                             f"Secret {ref['secretRef']['name']!r} not defined (templates/)")
                if kind == "Deployment" and args[:1] in (["serve"], ["worker"]):
                    c.ok((spec.get("replicas") or 1) >= 2, w, f"{args[0]} needs at least 2 replicas")
                if kind == "Job" and args[:1] == ["migrate"]:
                    migrate_jobs += 1
                if args[:1] == ["serve"]:
                    ports = {p.get("containerPort") for p in ctr.get("ports", [])}
                    c.ok(50051 in ports, cw, "serve must expose containerPort 50051")
                    for probe in ("readinessProbe", "livenessProbe"):
                        grpc = (ctr.get(probe) or {}).get("grpc")
                        c.ok(bool(grpc) and grpc.get("port") == 50051, cw,
                             f"{probe} must be a grpc probe on port 50051")

    for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
        for path, doc in by_kind.get(kind, []):
            w = f"{path} {kind}/{doc['metadata']['name']}"
            sel = doc["spec"].get("selector") if kind == "Service" else None
            if kind == "PodDisruptionBudget":
                sel = (doc["spec"].get("selector") or {}).get("matchLabels") or {}
            if kind == "NetworkPolicy":
                sel = (doc["spec"].get("podSelector") or {}).get("matchLabels") or {}
            c.ok(any(matches(sel or {}, labels) for labels in pod_templates), w,
                 "selector matches no workload's pods")
    deployments = {d["metadata"]["name"]: d for _, d in by_kind.get("Deployment", [])}
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    c.ok(bool(hpas), label, "no HorizontalPodAutoscaler")
    for path, hpa in hpas:
        w = f"{path} HorizontalPodAutoscaler/{hpa['metadata']['name']}"
        ref = hpa["spec"]["scaleTargetRef"]
        c.ok(ref.get("kind") == "Deployment" and ref.get("name") in deployments, w,
             f"scales {ref.get('kind')}/{ref.get('name')}, which is not defined")
        c.ok(hpa["spec"].get("minReplicas", 1) >= 2, w, "minReplicas must be at least 2")
        c.ok(hpa["spec"]["maxReplicas"] >= hpa["spec"].get("minReplicas", 1), w, "maxReplicas below minReplicas")
    c.ok(migrate_jobs >= 1, label, "no Job runs `kompisd migrate`")
    c.ok(bool(by_kind.get("PodDisruptionBudget")), label, "no PodDisruptionBudget")
    c.ok(bool(by_kind.get("NetworkPolicy")), label, "no NetworkPolicy")
    c.ok(any(d["spec"].get("clusterIP") == "None" for _, d in by_kind.get("Service", [])), label,
         "no headless Service for client-side gRPC balancing")


def main(argv: list[str]) -> int:
    root = os.path.abspath(argv[0] if argv else os.path.join(os.path.dirname(__file__), ".."))
    c = Checker(root)
    subcommands, source = kompisd_subcommands(c)
    for s in SUBCOMMANDS:
        c.ok(s in subcommands, source, f"kompisd subcommand {s!r} not found")
    packages = workspace_packages(root)
    check_dockerfile(c, os.path.join(root, "deploy/Dockerfile"), packages)
    check_compose(c, os.path.join(root, "deploy/compose.yaml"), subcommands)
    templates = load_manifests(sorted(glob.glob(os.path.join(root, "deploy/kubernetes/templates/*.yaml"))))
    templates = [(c.rel(path), doc) for path, doc in templates]
    kustomizations = [os.path.join(root, "deploy/kubernetes/base")] + sorted(
        glob.glob(os.path.join(root, "deploy/kubernetes/overlays/*"))
    )
    c.ok(len(kustomizations) >= 2, "deploy/kubernetes", "expected a base and at least one overlay")
    for directory in kustomizations:
        label = f"{c.rel(directory)} (rendered)"
        try:
            docs = kustomize_render.render(directory)
        except (kustomize_render.RenderError, OSError, yaml.YAMLError, KeyError) as e:
            c.fail(label, str(e))
            continue
        check_kubernetes(c, label, [(label, d) for d in docs], templates, subcommands)
    if c.problems:
        print(f"check_deploy: {len(c.problems)} problem(s):", file=sys.stderr)
        for p in c.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"check_deploy: {c.checked} checks passed (kompisd subcommands from {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

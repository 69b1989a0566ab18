#!/usr/bin/env python3
"""Consistency checks of deploy/ against this repository (run by scripts/lint-deploy.sh).

What yamllint and the Kubernetes schemas cannot see:
  * compose.yaml: the services that must be there are there; every image is
    pinned or built from a Dockerfile that exists; the kompisd containers run
    subcommands that kompisd has; depends_on names defined services; the
    long-running services have health checks; mounted files exist.
  * Dockerfile: builds the kompisd package of this workspace, with the Rust
    release that rust-toolchain.toml pins; runs as a non-root user with
    ENTRYPOINT ["kompisd"].
  * Kubernetes: the kompisd containers run known subcommands, are non-root
    with a read-only root filesystem and resource limits; serve has gRPC
    probes on its gRPC port; Services and PodDisruptionBudgets select pods
    that a Deployment makes; referenced ConfigMaps and Secrets are defined.

Usage: check_deploy.py [REPO_ROOT]   (exit 1 and a list of problems on failure)
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import yaml

SUBCOMMANDS = ["serve", "worker", "migrate", "token"]
REQUIRED_COMPOSE_SERVICES = {"postgres", "redis", "kompisd", "worker"}


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


# --------------------------------------------------------------- Kubernetes --

def load_manifests(paths: list[str]) -> list[tuple[str, dict]]:
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for doc in yaml.safe_load_all(fh):
                if doc:
                    docs.append((path, doc))
    return docs


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def check_kubernetes(c: Checker, paths: list[str], subcommands: set[str]) -> None:
    docs = load_manifests(paths)
    c.ok(bool(docs), "deploy/kubernetes", "no manifests found")
    by_kind: dict[str, list[tuple[str, dict]]] = {}
    for path, doc in docs:
        by_kind.setdefault(doc.get("kind", "?"), []).append((path, doc))
    names = {(d["kind"], d["metadata"]["name"]) for _, d in docs}
    namespaces = {d["metadata"]["name"] for _, d in by_kind.get("Namespace", [])}
    for path, doc in docs:
        ns = doc["metadata"].get("namespace")
        if doc["kind"] != "Namespace":
            c.ok(ns in namespaces, c.rel(path), f"namespace {ns!r} is not defined in the manifests")

    pod_templates = []
    for path, dep in by_kind.get("Deployment", []):
        w = f"{c.rel(path)} Deployment/{dep['metadata']['name']}"
        spec = dep["spec"]
        tmpl = spec["template"]
        labels = tmpl["metadata"].get("labels", {})
        pod_templates.append(labels)
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
            c.ok(bool(res.get("requests")) and bool(res.get("limits")), cw,
                 "resource requests and limits are required")
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
                if args[:1] == ["serve"]:
                    ports = {p.get("containerPort") for p in ctr.get("ports", [])}
                    c.ok(50051 in ports, cw, "serve must expose containerPort 50051")
                    for probe in ("readinessProbe", "livenessProbe"):
                        grpc = (ctr.get(probe) or {}).get("grpc")
                        c.ok(bool(grpc) and grpc.get("port") == 50051, cw,
                             f"{probe} must be a grpc probe on port 50051")

    for kind in ("Service", "PodDisruptionBudget"):
        for path, doc in by_kind.get(kind, []):
            w = f"{c.rel(path)} {kind}/{doc['metadata']['name']}"
            sel = doc["spec"].get("selector") or {}
            if kind == "PodDisruptionBudget":
                sel = sel.get("matchLabels") or {}
            c.ok(any(matches(sel, labels) for labels in pod_templates), w,
                 "selector matches no Deployment's pods")
    c.ok(bool(by_kind.get("PodDisruptionBudget")), "deploy/kubernetes", "no PodDisruptionBudget")


def main(argv: list[str]) -> int:
    root = os.path.abspath(argv[0] if argv else os.path.join(os.path.dirname(__file__), ".."))
    c = Checker(root)
    subcommands, source = kompisd_subcommands(c)
    for s in SUBCOMMANDS:
        c.ok(s in subcommands, source, f"kompisd subcommand {s!r} not found")
    packages = workspace_packages(root)
    check_dockerfile(c, os.path.join(root, "deploy/Dockerfile"), packages)
    check_compose(c, os.path.join(root, "deploy/compose.yaml"), subcommands)
    manifests = sorted(
        glob.glob(os.path.join(root, "deploy/kubernetes/*.yaml"))
        + glob.glob(os.path.join(root, "deploy/kubernetes/templates/*.yaml"))
    )
    check_kubernetes(c, manifests, subcommands)
    if c.problems:
        print(f"check_deploy: {len(c.problems)} problem(s):", file=sys.stderr)
        for p in c.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"check_deploy: {c.checked} checks passed (kompisd subcommands from {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

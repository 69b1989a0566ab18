#!/usr/bin/env python3
"""Render a kustomization as `kubectl kustomize` would, for the subset deploy/ uses.

No kustomize binary can be installed here from the package registries (PyPI's
"kustomize" is an unrelated project), so scripts/lint-deploy.sh renders the base and
the overlays with this file and validates what comes out. It implements exactly the
fields deploy/kubernetes uses and refuses any other, so that a kustomization it
cannot render the way kustomize does fails the lint instead of passing unchecked:

  resources (files and directories), namespace, labels (pairs, includeSelectors,
  includeTemplates), images (name, newName, newTag, digest), replicas (name, count),
  patches (path or inline patch, strategic merge, optional target by kind and name).

Strategic merge follows Kubernetes' patch keys for the lists deploy/ patches:
containers, initContainers, env, ports, volumes and volumeMounts merge by `name`
(ports by `containerPort`); any other list replaces.

Usage: kustomize_render.py DIR [-o FILE]     (multi-document YAML on stdout or FILE)
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

import yaml

KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
# Kinds that have no namespace (those deploy/ could plausibly use).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "IngressClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
# Lists merged element by element, by key, as the Kubernetes API's patch strategy says.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "name", "ports": "containerPort", "imagePullSecrets": "name",
}
# Kinds whose pod template carries containers and images.
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet"}


class RenderError(Exception):
    pass


def load_kustomization(directory: str) -> dict:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh) or {}
            unknown = set(doc) - KNOWN_FIELDS
            if unknown:
                raise RenderError(f"{path}: fields this renderer does not implement: {', '.join(sorted(unknown))}")
            if doc.get("kind", "Kustomization") != "Kustomization":
                raise RenderError(f"{path}: kind must be Kustomization")
            return doc
    raise RenderError(f"{directory}: no kustomization.yaml")


def render(directory: str) -> list[dict]:
    k = load_kustomization(directory)
    docs: list[dict] = []
    for entry in k.get("resources", []):
        path = os.path.normpath(os.path.join(directory, entry))
        if os.path.isdir(path):
            docs.extend(render(path))
        elif os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                docs.extend(d for d in yaml.safe_load_all(fh) if d)
        else:
            raise RenderError(f"{directory}: resource {entry} not found")
    for patch in k.get("patches", []):
        apply_patch(directory, docs, patch)
    if "namespace" in k:
        for d in docs:
            if d.get("kind") not in CLUSTER_SCOPED:
                d.setdefault("metadata", {})["namespace"] = k["namespace"]
    for label in k.get("labels", []):
        apply_labels(docs, label)
    for image in k.get("images", []):
        apply_image(docs, image)
    for rep in k.get("replicas", []):
        targets = [d for d in docs if d.get("kind") in SCALABLE and d["metadata"]["name"] == rep["name"]]
        if not targets:
            raise RenderError(f"{directory}: replicas: no workload named {rep['name']}")
        for d in targets:
            d["spec"]["replicas"] = rep["count"]
    ids = [(d.get("kind"), d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RenderError(f"{directory}: resources defined twice: {sorted(map(str, duplicates))}")
    return docs


def apply_patch(directory: str, docs: list[dict], patch: dict) -> None:
    unknown = set(patch) - {"path", "patch", "target"}
    if unknown:
        raise RenderError(f"{directory}: patch fields not implemented: {', '.join(sorted(unknown))}")
    if "path" in patch:
        with open(os.path.join(directory, patch["path"]), encoding="utf-8") as fh:
            body = yaml.safe_load(fh)
        where = patch["path"]
    else:
        body = yaml.safe_load(patch["patch"])
        where = "inline patch"
    if isinstance(body, list):
        raise RenderError(f"{directory}: {where}: JSON 6902 patches are not implemented")
    target = patch.get("target") or {}
    unknown = set(target) - {"kind", "name"}
    if unknown:
        raise RenderError(f"{directory}: {where}: target fields not implemented: {', '.join(sorted(unknown))}")
    kind = target.get("kind", body.get("kind"))
    name = target.get("name", body.get("metadata", {}).get("name"))
    matched = [d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name]
    if not matched:
        raise RenderError(f"{directory}: {where}: no {kind}/{name} to patch")
    for d in matched:
        patched = merge(d, {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}, where)
        d.clear()
        d.update(patched)


def merge(base, patch, where: str, key: str | None = None):
    if isinstance(patch, dict) and isinstance(base, dict):
        if "$patch" in patch:
            raise RenderError(f"{where}: $patch directives are not implemented")
        out = copy.deepcopy(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v, where, k) if k in base and v is not None else v
            if v is None:
                out.pop(k, None)
        return out
    if isinstance(patch, list) and isinstance(base, list) and key in MERGE_KEYS:
        mk = MERGE_KEYS[key]
        out = copy.deepcopy(base)
        for item in patch:
            for i, existing in enumerate(out):
                if isinstance(existing, dict) and existing.get(mk) == item.get(mk):
                    out[i] = merge(existing, item, where, None)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def pod_templates(doc: dict) -> list[dict]:
    if doc.get("kind") in WORKLOADS:
        return [doc["spec"]["template"]]
    if doc.get("kind") == "CronJob":
        return [doc["spec"]["jobTemplate"]["spec"]["template"]]
    return []


def apply_labels(docs: list[dict], label: dict) -> None:
    unknown = set(label) - {"pairs", "includeSelectors", "includeTemplates"}
    if unknown:
        raise RenderError(f"labels: fields not implemented: {', '.join(sorted(unknown))}")
    pairs = label.get("pairs", {})
    selectors = label.get("includeSelectors", False)
    templates = label.get("includeTemplates", False) or selectors
    for d in docs:
        d.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if templates:
            for t in pod_templates(d):
                t.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if selectors:
            spec = d.get("spec", {})
            if d.get("kind") == "Service":
                spec.setdefault("selector", {}).update(pairs)
            elif isinstance(spec.get("selector"), dict) and d.get("kind") != "NetworkPolicy":
                spec["selector"].setdefault("matchLabels", {}).update(pairs)


def apply_image(docs: list[dict], image: dict) -> None:
    unknown = set(image) - {"name", "newName", "newTag", "digest"}
    if unknown:
        raise RenderError(f"images: fields not implemented: {', '.join(sorted(unknown))}")
    for d in docs:
        for t in pod_templates(d):
            spec = t.get("spec", {})
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                ref = c.get("image", "")
                name, tag = split_image(ref)
                if name != image["name"]:
                    continue
                name = image.get("newName", name)
                if "digest" in image:
                    c["image"] = f"{name}@{image['digest']}"
                elif "newTag" in image:
                    c["image"] = f"{name}:{image['newTag']}"
                else:
                    c["image"] = name + tag


def split_image(ref: str) -> tuple[str, str]:
    """('registry/name', ':tag' or '@digest' or '')."""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        return name, "@" + digest
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
        return name, ":" + tag
    return ref, ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("-o", "--output")
    args = parser.parse_args(argv)
    try:
        docs = render(args.directory)
    except (RenderError, OSError, yaml.YAMLError, KeyError) as e:
        print(f"kustomize_render: {e}", file=sys.stderr)
        return 1
    # Namespaces first, as kustomize orders them, so that `kubectl apply` can create
    # the namespace before what lives in it.
    docs.sort(key=lambda d: 0 if d.get("kind") == "Namespace" else 1)
    text = yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

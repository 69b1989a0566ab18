#!/usr/bin/env python3
"""Tests of scripts/kustomize_render.py: each feature deploy/ relies on renders as
kustomize documents it, and a field it does not implement is refused.

Run by scripts/lint-deploy.sh:  python3 scripts/test_kustomize_render.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kustomize_render  # noqa: E402  (beside this file)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {app: a}
spec:
  replicas: 2
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: main
          image: registry.example/app:1.0
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          resources: {requests: {cpu: 100m}, limits: {memory: 1Gi}}
        - name: side
          image: other:2
"""


class RenderTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.base = os.path.join(self.dir.name, "base")
        self.overlay = os.path.join(self.dir.name, "overlay")
        os.makedirs(self.base)
        os.makedirs(self.overlay)
        self.write("base/deployment.yaml", DEPLOYMENT)
        self.write("base/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: app}\n"
                   "spec: {selector: {app: a}, ports: [{port: 80}]}\n")
        self.write("base/kustomization.yaml", "resources: [deployment.yaml, service.yaml]\n")

    def tearDown(self) -> None:
        self.dir.cleanup()

    def write(self, path: str, text: str) -> None:
        with open(os.path.join(self.dir.name, path), "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))

    def render(self) -> dict[str, dict]:
        return {d["kind"]: d for d in kustomize_render.render(self.overlay)}

    def test_an_overlay_sets_namespace_image_replicas_and_merges_a_patch_by_name(self) -> None:
        self.write("overlay/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n")
        self.write("overlay/patch.yaml", """\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app}
            spec:
              template:
                spec:
                  containers:
                    - name: main
                      env: [{name: B, value: "3"}, {name: C, value: "4"}]
                      resources: {requests: {cpu: "1"}}
            """)
        self.write("overlay/kustomization.yaml", """\
            namespace: prod
            resources: [ns.yaml, ../base]
            images: [{name: registry.example/app, newTag: "2.0"}]
            replicas: [{name: app, count: 3}]
            patches: [{path: patch.yaml}]
            labels: [{pairs: {team: kompis}, includeSelectors: false}]
            """)
        docs = self.render()
        dep = docs["Deployment"]
        self.assertEqual(dep["metadata"]["namespace"], "prod")
        self.assertNotIn("namespace", docs["Namespace"]["metadata"])
        self.assertEqual(dep["spec"]["replicas"], 3)
        main, side = dep["spec"]["template"]["spec"]["containers"]
        self.assertEqual(main["image"], "registry.example/app:2.0")
        self.assertEqual(side["image"], "other:2")
        self.assertEqual(main["env"], [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                       {"name": "C", "value": "4"}])
        self.assertEqual(main["resources"], {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}})
        self.assertEqual(dep["metadata"]["labels"], {"app": "a", "team": "kompis"})
        self.assertEqual(dep["spec"]["selector"], {"matchLabels": {"app": "a"}})
        self.assertEqual(docs["Service"]["spec"]["selector"], {"app": "a"})

    def test_labels_with_selectors_reach_selectors_and_pod_templates(self) -> None:
        self.write("overlay/kustomization.yaml", """\
            resources: [../base]
            labels: [{pairs: {team: kompis}, includeSelectors: true}]
            """)
        docs = self.render()
        dep = docs["Deployment"]
        self.assertEqual(dep["spec"]["selector"]["matchLabels"], {"app": "a", "team": "kompis"})
        self.assertEqual(dep["spec"]["template"]["metadata"]["labels"], {"app": "a", "team": "kompis"})
        self.assertEqual(docs["Service"]["spec"]["selector"], {"app": "a", "team": "kompis"})

    def test_fields_it_does_not_implement_are_refused(self) -> None:
        for text in ("resources: [../base]\nconfigMapGenerator: []\n",
                     "resources: [../base]\npatches: [{path: p.yaml, options: {}}]\n",
                     "resources: [../base]\nimages: [{name: x, newTag: y, tagSuffix: z}]\n"):
            self.write("overlay/kustomization.yaml", text)
            with self.assertRaises(kustomize_render.RenderError):
                self.render()

    def test_a_patch_or_replica_count_for_a_missing_resource_is_refused(self) -> None:
        self.write("overlay/patch.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: nope}\n")
        self.write("overlay/kustomization.yaml", "resources: [../base]\npatches: [{path: patch.yaml}]\n")
        with self.assertRaises(kustomize_render.RenderError):
            self.render()
        self.write("overlay/kustomization.yaml", "resources: [../base]\nreplicas: [{name: nope, count: 2}]\n")
        with self.assertRaises(kustomize_render.RenderError):
            self.render()


if __name__ == "__main__":
    unittest.main(verbosity=1)

#!/usr/bin/env python3
"""Cut the Kubernetes v1.37 OpenAPI definitions down to what the emulator serves.

Input: ``kubernetes-json-schema/v1.37.0-local/_definitions.json`` from the PyPI
package ``kubernetes-validate==1.37.0`` (Apache-2.0; the schemas are generated
from the OpenAPI documents of The Kubernetes Authors).

Output: ``k8s-v1.37-definitions.json`` beside this script, holding
``{"definitions": {...}}`` with only the definitions reachable through ``$ref``
from ROOTS. Standard library only; the output is byte-for-byte deterministic
(sorted keys, compact separators, trailing newline).

Normalisations, each undoing something the JSON-Schema conversion added and
the upstream OpenAPI document does not have:

* ``description`` is dropped (size);
* ``"type": ["T", "null"]`` becomes ``"type": "T"`` and ``{"type": "null"}``
  alternatives are dropped (the converter marks every optional field
  nullable);
* the one-value ``enum`` on ``apiVersion``/``kind`` of kinds is dropped;
* ``$ref`` targets stay ``#/$defs/<name>`` (the engine resolves them by name).

Usage::

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    unzip -o -q /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl \\
        'kubernetes_validate/kubernetes-json-schema/v1.37.0-local/_definitions.json' -d /tmp/kv
    python3 extract-definitions.py \\
        /tmp/kv/kubernetes_validate/kubernetes-json-schema/v1.37.0-local/_definitions.json
"""

import json
import os
import sys

META = "io.k8s.apimachinery.pkg.apis.meta.v1."

ROOTS = [
    "io.k8s.api.core.v1.Namespace",
    "io.k8s.api.core.v1.Secret",
    "io.k8s.api.core.v1.ConfigMap",
    "io.k8s.api.core.v1.ServiceAccount",
    "io.k8s.api.core.v1.Event",
    "io.k8s.api.core.v1.Pod",
    "io.k8s.api.core.v1.Service",
    "io.k8s.api.authentication.v1.TokenRequest",
    "io.k8s.api.apps.v1.Deployment",
    "io.k8s.api.apps.v1.StatefulSet",
    "io.k8s.api.apps.v1.DaemonSet",
    "io.k8s.api.batch.v1.Job",
    "io.k8s.api.batch.v1.CronJob",
    "io.k8s.api.coordination.v1.Lease",
    "io.k8s.api.events.v1.Event",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
    "io.k8s.api.autoscaling.v1.Scale",
    META + "Status",
    META + "DeleteOptions",
    META + "ObjectMeta",
]

# Keys whose value is a map from user-chosen names to schemas, so a key named
# "description" or "$ref" inside them is a property name, not a keyword.
NAMED_SCHEMAS = ("properties", "patternProperties", "definitions", "$defs")


def ref_name(ref):
    """The definition name a local ``$ref`` points at."""
    return ref.rsplit("/", 1)[-1]


def refs(node, found):
    """Collect the definition names referenced anywhere below ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(ref_name(value))
            elif key in NAMED_SCHEMAS and isinstance(value, dict):
                for sub in value.values():
                    refs(sub, found)
            else:
                refs(value, found)
    elif isinstance(node, list):
        for item in node:
            refs(item, found)


def reachable(defs):
    """Names reachable from ROOTS, failing loudly on a dangling reference."""
    seen = set()
    stack = list(ROOTS)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in defs:
            sys.exit("missing definition: " + name)
        seen.add(name)
        found = set()
        refs(defs[name], found)
        stack.extend(sorted(found - seen))
    return seen


def normalise(node, is_kind=False):
    """Copy ``node`` without descriptions, converter nullability and kind enums."""
    if isinstance(node, list):
        return [normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key in NAMED_SCHEMAS and isinstance(value, dict):
            props = {}
            for name, sub in value.items():
                sub = normalise(sub)
                if is_kind and key == "properties" and name in ("apiVersion", "kind"):
                    sub.pop("enum", None)
                props[name] = sub
            out[key] = props
        elif key == "type" and isinstance(value, list):
            kept = [t for t in value if t != "null"]
            out[key] = kept[0] if len(kept) == 1 else kept
        elif key in ("oneOf", "anyOf") and isinstance(value, list):
            out[key] = [normalise(alt) for alt in value if alt != {"type": "null"}]
        else:
            out[key] = normalise(value)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as handle:
        source = json.load(handle)
    defs = source.get("$defs") or source.get("definitions") or {}
    names = reachable(defs)
    out = {
        name: normalise(defs[name], "x-kubernetes-group-version-kind" in defs[name])
        for name in sorted(names)
    }
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "k8s-v1.37-definitions.json")
    text = json.dumps({"definitions": out}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text + "\n")
    print("%s: %d definitions, %d bytes" % (target, len(out), len(text) + 1))


if __name__ == "__main__":
    main()

"""Writes v1-vectors.json: v1 values sealed by an independent implementation (PyPI kubesealpy,
on OpenSSL through `cryptography`) to a fixed test-only RSA key, with the expected outcome of
opening each one under the right and the wrong place, scope or key.

Run with the peer virtualenv: `$KUBESEAL_PEER_PYTHON make_v1_vectors.py`. The output is
committed; rerunning changes every ciphertext (sealing is randomized) but not the cases.
"""
import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kubesealpy.crypto import encrypt
from kubesealpy.scopes import SealingScope, build_label

here = Path(__file__).parent


def key(name, bits):
    path = here / name
    if not path.exists():
        k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()))
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


main = key("test-key-rsa2048.pem", 2048)
other = key("test-key-rsa2048-other.pem", 2048)
scopes = {"strict": SealingScope.STRICT, "namespace-wide": SealingScope.NAMESPACE_WIDE,
          "cluster-wide": SealingScope.CLUSTER_WIDE}
values = {"empty": b"", "text": b"hunter2", "binary": bytes(range(256)), "kib": b"x" * 1500}

cases = []
for scope_name, scope in scopes.items():
    for value_name, value in values.items():
        label = build_label(scope, "team-a", "db")
        ct = base64.b64encode(encrypt(value, main.public_key(), label)).decode()
        base = {"sealed_for": {"scope": scope_name, "namespace": "team-a", "name": "db"}, "ciphertext": ct}
        cases.append({**base, "case": f"{scope_name}/{value_name}/same place",
                      "open_as": {"scope": scope_name, "namespace": "team-a", "name": "db"}, "key": "main",
                      "expect": {"plaintext_hex": value.hex()}})
        if value_name != "text":
            continue
        moves = {
            "renamed": ("team-a", "db-renamed"),
            "moved namespace": ("team-b", "db"),
        }
        for what, (ns, name) in moves.items():
            opens = scope_name == "cluster-wide" or (scope_name == "namespace-wide" and ns == "team-a")
            cases.append({**base, "case": f"{scope_name}/{what}", "open_as": {"scope": scope_name, "namespace": ns,
                          "name": name}, "key": "main",
                          "expect": {"plaintext_hex": value.hex()} if opens else {"error": "DecryptionFailed"}})
        for flipped in scopes:
            if flipped != scope_name:
                cases.append({**base, "case": f"{scope_name}/annotation flipped to {flipped}",
                              "open_as": {"scope": flipped, "namespace": "team-a", "name": "db"}, "key": "main",
                              "expect": {"error": "DecryptionFailed"}})
        cases.append({**base, "case": f"{scope_name}/wrong key",
                      "open_as": {"scope": scope_name, "namespace": "team-a", "name": "db"}, "key": "other",
                      "expect": {"error": "DecryptionFailed"}})
        raw = base64.b64decode(ct)
        cases.append({"case": f"{scope_name}/truncated inside the RSA part", "sealed_for": base["sealed_for"],
                      "ciphertext": base64.b64encode(raw[:100]).decode(),
                      "open_as": {"scope": scope_name, "namespace": "team-a", "name": "db"}, "key": "main",
                      "expect": {"error": "Truncated"}})
        cases.append({"case": f"{scope_name}/tag cut off", "sealed_for": base["sealed_for"],
                      "ciphertext": base64.b64encode(raw[:-16]).decode(),
                      "open_as": {"scope": scope_name, "namespace": "team-a", "name": "db"}, "key": "main",
                      "expect": {"error": "DecryptionFailed"}})

doc = {
    "description": "v1 (Bitnami) values sealed by kubesealpy 1.0.1 on OpenSSL to test-key-rsa2048.pem, "
                   "with the outcome expected when opening each under `open_as` with key `main` "
                   "(test-key-rsa2048.pem) or `other` (test-key-rsa2048-other.pem). Test-only keys.",
    "generator": "make_v1_vectors.py",
    "keys": {"main": "test-key-rsa2048.pem", "other": "test-key-rsa2048-other.pem"},
    "cases": cases,
}
(here / "v1-vectors.json").write_text(json.dumps(doc, indent=1) + "\n")
print(f"{len(cases)} cases")

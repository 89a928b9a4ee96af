"""Python peers for `benches/seal_process.rs`: seal one Secret manifest from a certificate file,
as a whole process, the way a CI job would call a sealing tool.

    python peer_seal.py kubesealpy CERT < secret.yaml > sealed.yaml
    python peer_seal.py cryptography CERT < secret.yaml > sealed.json

`kubesealpy` uses that package's Sealer (PyPI kubesealpy 1.0.1). `cryptography` writes the
Bitnami v1 envelope directly with PyPI cryptography (OpenSSL): RSA-OAEP(SHA-256) of a random
AES-256 key, AES-256-GCM with a zero nonce, label `namespace/name` (strict scope).
"""

import base64
import json
import os
import struct
import sys


def read_secret():
    import yaml

    return yaml.safe_load(sys.stdin.read())


def with_kubesealpy(cert_path, secret):
    from kubesealpy import Sealer, Secret

    sealer = Sealer.from_certificate_file(cert_path)
    sealed = sealer.seal_secret(Secret.model_validate(secret))
    sys.stdout.write(sealed.to_yaml())


def with_cryptography(cert_path, secret):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with open(cert_path, "rb") as f:
        public_key = x509.load_pem_x509_certificate(f.read()).public_key()
    meta = secret["metadata"]
    label = f"{meta['namespace']}/{meta['name']}".encode()
    encrypted = {}
    for key, value in sorted(secret.get("data", {}).items()):
        session = os.urandom(32)
        wrapped = public_key.encrypt(
            session,
            padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label),
        )
        sealed = AESGCM(session).encrypt(b"\0" * 12, base64.b64decode(value), None)
        encrypted[key] = base64.b64encode(struct.pack(">H", len(wrapped)) + wrapped + sealed).decode()
    out = {
        "kind": "SealedSecret",
        "apiVersion": "bitnami.com/v1alpha1",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": {
            "template": {"metadata": {"name": meta["name"], "namespace": meta["namespace"]}},
            "encryptedData": encrypted,
        },
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    peer, cert = sys.argv[1], sys.argv[2]
    secret = read_secret()
    {"kubesealpy": with_kubesealpy, "cryptography": with_cryptography}[peer](cert, secret)

"""Independent peers for `tests/peers.rs`: PyPI `cryptography` (OpenSSL) and `kubesealpy`.

The Rust test sends one JSON document on stdin, `{"ops": [op, ...]}`, and reads one back on
stdout, `{"results": [result, ...]}`, in the same order. Every op is an object with an `"op"`
name and its arguments; binary values travel as lower-case hex, sealed values as the base64
text that goes into `encryptedData`. A value that fails to open is not an error of the run: it
comes back as `{"ok": false, "error": "..."}` so that negative cases can be asserted. A
malformed request or an unknown op exits with status 2 and a message on stderr.

Ops (arguments -> result fields):

- `versions` -> `cryptography`, `kubesealpy`, `python`
- `label` {scope, namespace, name} -> `label_hex` (kubesealpy.scopes.build_label)
- `seal_kubesealpy` {cert_pem, scope, namespace, name, values_hex, api: "seal_value"|"seal"}
  -> `sealed`, `annotations`
- `seal_cryptography` {public_key_pem | cert_pem, label_hex, values_hex} -> `sealed`
  (the v1 envelope written directly with `cryptography`)
- `open_cryptography` {private_key_pem, label_hex, sealed} -> `opened`
- `open_kubesealpy` {private_key_pem, scope, namespace, name, sealed,
  api: "unseal_value"|"unseal"} -> `opened`
- `inspect_certificate` {cert_pem} -> subject, issuer, serial, validity, signature, public key
  and extensions (decoded from the DER here, see `raw_extensions`)
- `ssh_fingerprint` {public_key_pem | cert_pem} -> `openssh`, `blob_hex`, `fingerprint`
- `generate_rsa` {bits, format: "pkcs1"|"pkcs8", seal: [{scope, namespace, name, value_hex}]}
  -> `private_key_pem`, `public_key_pem`, `spki_der_hex`, `n_hex`, `e`, `fingerprint`, `sealed`
- `rsa_key_numbers` {private_key_pem | private_key_der_hex | public_key_pem} -> `n_hex`, `e`,
  `bits`, `spki_der_hex`
- `generate_x25519` -> `private_key_pem`, `public_key_pem`, `public_hex`
- `x25519_public` {private_key_pem | public_key_pem} -> `public_hex`
- `seal_hpke` / `open_hpke`: the kubeseal-rs v2 envelope, rebuilt here from its description
  (magic, key id, HPKE enc, ciphertext and tag; label as `info`, header as associated data)
"""

import argparse
import base64
import hashlib
import importlib.metadata
import json
import os
import struct
import sys

import cryptography
from cryptography import x509
from cryptography.hazmat.bindings._rust import openssl as rust_openssl
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# kubesealpy (with pydantic and httpx) takes longer to import than everything else together, so
# the ops that use it import it themselves.

ZERO_NONCE = bytes(12)
V2_MAGIC = bytes([0x49, 0x2B, 0xF6])
KEY_USAGE_BITS = [
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
]
SCOPE_ANNOTATIONS = {
    "strict": None,
    "namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
    "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide",
}


class BadRequest(Exception):
    """The request itself is wrong; the run stops."""


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def strict_b64decode(text):
    return base64.b64decode(text.encode("ascii"), validate=True)


def failure(exc):
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def scope_of(name):
    from kubesealpy.scopes import SealingScope

    try:
        return SealingScope(name)
    except ValueError as exc:
        raise BadRequest(f"unknown scope {name!r}") from exc


def load_public_key(op):
    if "public_key_pem" in op:
        return serialization.load_pem_public_key(op["public_key_pem"].encode())
    if "cert_pem" in op:
        return x509.load_pem_x509_certificate(op["cert_pem"].encode()).public_key()
    raise BadRequest("need public_key_pem or cert_pem")


# Loading checks the whole RSA key (OpenSSL's key check), which costs far more than an
# RSA-4096 decryption; a batch often names the same key many times, so each is loaded once.
LOADED_PRIVATE_KEYS = {}


def load_private_key(op):
    if "private_key_pem" in op:
        source = ("pem", op["private_key_pem"])
    elif "private_key_der_hex" in op:
        source = ("der", op["private_key_der_hex"])
    else:
        raise BadRequest("need private_key_pem or private_key_der_hex")
    if source not in LOADED_PRIVATE_KEYS:
        kind, data = source
        if kind == "pem":
            key = serialization.load_pem_private_key(data.encode(), password=None)
        else:
            key = serialization.load_der_private_key(bytes.fromhex(data), password=None)
        LOADED_PRIVATE_KEYS[source] = key
    return LOADED_PRIVATE_KEYS[source]


def oaep(label):
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label,
    )


# --- v1 envelope, written from the format description -------------------------------------


def v1_seal(public_key, label, plaintext):
    session_key = os.urandom(32)
    wrapped = public_key.encrypt(session_key, oaep(label))
    body = AESGCM(session_key).encrypt(ZERO_NONCE, plaintext, None)
    return struct.pack(">H", len(wrapped)) + wrapped + body


def v1_open(private_key, label, sealed):
    if len(sealed) < 2:
        raise ValueError("shorter than the length prefix")
    (length,) = struct.unpack(">H", sealed[:2])
    if len(sealed) < 2 + length:
        raise ValueError("shorter than the announced RSA ciphertext")
    session_key = private_key.decrypt(sealed[2 : 2 + length], oaep(label))
    if len(session_key) != 32:
        raise ValueError("session key is not 32 bytes")
    return AESGCM(session_key).decrypt(ZERO_NONCE, sealed[2 + length :], None)


# --- kubeseal-rs v2 envelope, rebuilt from its description ----------------------------------


def hpke_suite():
    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def v2_key_id(public_raw):
    return hashlib.sha256(b"kubeseal-rs v2 key id\x00" + public_raw).digest()[:8]


def v2_seal(public_key, label, plaintext):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    header = V2_MAGIC + v2_key_id(raw)
    # The public Suite.encrypt takes no associated data; the v2 header is bound as AAD.
    enc_and_ct = rust_openssl.hpke._encrypt_with_aad(
        hpke_suite(), plaintext, public_key, info=label, aad=header
    )
    return header + enc_and_ct


def v2_open(private_key, label, sealed):
    header, rest = sealed[:11], sealed[11:]
    if header[:3] != V2_MAGIC:
        raise ValueError("not a v2 envelope")
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if header[3:] != v2_key_id(raw):
        raise ValueError("key id names another key")
    return rust_openssl.hpke._decrypt_with_aad(
        hpke_suite(), rest, private_key, info=label, aad=header
    )


def open_each(sealed_texts, opener):
    results = []
    for text in sealed_texts:
        try:
            raw = strict_b64decode(text)
            plaintext = opener(raw)
            results.append(
                {
                    "ok": True,
                    "plaintext_hex": plaintext.hex(),
                    "canonical_base64": b64(raw) == text,
                }
            )
        except Exception as exc:  # every failure is data for the caller
            results.append(failure(exc))
    return results


# --- a minimal DER reader, for the certificate extensions cryptography refuses to expose ------


def der_read(data, pos):
    """Returns (tag, content, next position) of the TLV at `pos`."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, data[pos : pos + length], pos + length


def der_children(content):
    items, pos = [], 0
    while pos < len(content):
        tag, value, pos = der_read(content, pos)
        items.append((tag, value))
    return items


def der_oid(content):
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def raw_extensions(tbs_der):
    _, tbs, _ = der_read(tbs_der, 0)
    for tag, value in der_children(tbs):
        if tag == 0xA3:  # [3] EXPLICIT Extensions
            _, sequence, _ = der_read(value, 0)
            break
    else:
        return []
    extensions = []
    for _, extension in der_children(sequence):
        parts = der_children(extension)
        oid = der_oid(parts[0][1])
        critical = len(parts) == 3 and parts[1] == (0x01, b"\xff")
        extensions.append({"oid": oid, "critical": critical, "value_hex": parts[-1][1].hex()})
    return extensions


def decode_key_usage(value):
    tag, bits, _ = der_read(value, 0)
    if tag != 0x03:
        raise ValueError("KeyUsage is not a BIT STRING")
    unused, body = bits[0], bits[1:]
    set_bits = []
    for index in range(len(body) * 8 - unused):
        if body[index // 8] & (0x80 >> (index % 8)):
            set_bits.append(KEY_USAGE_BITS[index] if index < len(KEY_USAGE_BITS) else str(index))
    return set_bits


def decode_basic_constraints(value):
    _, sequence, _ = der_read(value, 0)
    ca, path_length = False, None
    for tag, content in der_children(sequence):
        if tag == 0x01:
            ca = content == b"\xff"
        elif tag == 0x02:
            path_length = int.from_bytes(content, "big")
    return {"ca": ca, "path_length": path_length}


def describe_subject_key_id(value, public_key):
    """Which known method made the key id. Go wrote SHA-1 of the subjectPublicKey bits (RFC 5280
    method 1) before 1.25 and the leftmost 160 bits of their SHA-256 (RFC 7093 method 1) since;
    RFC 7093 method 4 hashes the whole SubjectPublicKeyInfo instead."""
    _, key_id, _ = der_read(value, 0)
    key_bits = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    methods = {
        "sha1_of_key_bits": hashlib.sha1(key_bits).digest(),
        "sha256_160_of_key_bits": hashlib.sha256(key_bits).digest()[:20],
        "sha256_160_of_spki": hashlib.sha256(spki).digest()[:20],
    }
    matching = [name for name, digest in methods.items() if digest == key_id]
    return {"key_id_hex": key_id.hex(), "method": matching[0] if matching else None}


def name_attributes(name):
    return [[attr.oid.dotted_string, attr.value] for attr in name]


def rsa_numbers(public_key):
    numbers = public_key.public_numbers()
    return {
        "n_hex": format(numbers.n, "x"),
        "e": numbers.e,
        "bits": public_key.key_size,
        "spki_der_hex": public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ).hex(),
    }


def openssh_fingerprint(public_key):
    line = public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode("ascii")
    blob = base64.b64decode(line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return {"openssh": line, "blob_hex": blob.hex(), "fingerprint": "SHA256:" + digest}


# --- ops ---------------------------------------------------------------------------------------


def op_versions(op):
    import kubesealpy

    return {
        "cryptography": cryptography.__version__,
        # The distribution's version; the module's own __version__ string lags behind it.
        "kubesealpy": importlib.metadata.version("kubesealpy"),
        "kubesealpy_module": kubesealpy.__version__,
        "python": sys.version.split()[0],
    }


def op_label(op):
    from kubesealpy.scopes import build_label

    return {"label_hex": build_label(scope_of(op["scope"]), op["namespace"], op["name"]).hex()}


def op_seal_kubesealpy(op):
    from kubesealpy import Sealer

    # validate=True: kubesealpy refuses certificates outside their validity period.
    sealer = Sealer.from_certificate_pem(op["cert_pem"], validate=True)
    scope = scope_of(op["scope"])
    values = [bytes.fromhex(v) for v in op["values_hex"]]
    if op["api"] == "seal_value":
        sealed = [
            b64(sealer.seal_value(v, namespace=op["namespace"], name=op["name"], scope=scope))
            for v in values
        ]
        return {"sealed": sealed, "annotations": {}}
    if op["api"] == "seal":
        keys = [f"value-{i}" for i in range(len(values))]
        resource = sealer.seal(
            name=op["name"], namespace=op["namespace"], data=dict(zip(keys, values)), scope=scope
        )
        return {
            "sealed": [resource.spec.encrypted_data[k] for k in keys],
            "annotations": resource.metadata.annotations or {},
        }
    raise BadRequest(f"unknown kubesealpy api {op['api']!r}")


def op_seal_cryptography(op):
    public_key = load_public_key(op)
    label = bytes.fromhex(op["label_hex"])
    return {"sealed": [b64(v1_seal(public_key, label, bytes.fromhex(v))) for v in op["values_hex"]]}


def op_open_cryptography(op):
    private_key = load_private_key(op)
    label = bytes.fromhex(op["label_hex"])
    return {"opened": open_each(op["sealed"], lambda raw: v1_open(private_key, label, raw))}


def op_open_kubesealpy(op):
    from kubesealpy import SealedSecret, Unsealer
    from kubesealpy.models import ObjectMeta, SealedSecretSpec

    unsealer = Unsealer([load_private_key(op)])
    scope = scope_of(op["scope"])
    namespace, name = op["namespace"], op["name"]
    if op["api"] == "unseal_value":
        opened = open_each(
            op["sealed"],
            lambda raw: unsealer.unseal_value(raw, namespace=namespace, name=name, scope=scope),
        )
        return {"opened": opened}
    if op["api"] != "unseal":
        raise BadRequest(f"unknown kubesealpy api {op['api']!r}")
    # The whole-resource path: the scope comes from the SealedSecret's annotations.
    annotation = SCOPE_ANNOTATIONS[op["scope"]]
    results = []
    for text in op["sealed"]:
        resource = SealedSecret(
            metadata=ObjectMeta(
                name=name,
                namespace=namespace,
                annotations={annotation: "true"} if annotation else None,
            ),
            spec=SealedSecretSpec(encryptedData={"value": text}),
        )
        try:
            secret = unsealer.unseal(resource)
            plaintext = base64.b64decode(secret.data["value"])
            results.append({"ok": True, "plaintext_hex": plaintext.hex()})
        except Exception as exc:  # every failure is data for the caller
            results.append(failure(exc))
    return {"opened": results}


def op_inspect_certificate(op):
    cert = x509.load_pem_x509_certificate(op["cert_pem"].encode())
    public_key = cert.public_key()
    try:
        public_key.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm,
        )
        signature_valid = True
    except Exception:
        signature_valid = False
    try:
        parsed = [
            {"oid": ext.oid.dotted_string, "critical": ext.critical, "value": repr(ext.value)}
            for ext in cert.extensions
        ]
        cryptography_extensions = {"ok": True, "extensions": parsed}
    except Exception as exc:
        cryptography_extensions = failure(exc)
    extensions = raw_extensions(cert.tbs_certificate_bytes)
    for ext in extensions:
        value = bytes.fromhex(ext["value_hex"])
        if ext["oid"] == "2.5.29.15":
            ext["key_usage"] = decode_key_usage(value)
        elif ext["oid"] == "2.5.29.19":
            ext["basic_constraints"] = decode_basic_constraints(value)
        elif ext["oid"] == "2.5.29.14":
            ext["subject_key_id"] = describe_subject_key_id(value, public_key)
    return {
        "version": cert.version.name,
        "serial_hex": format(cert.serial_number, "x"),
        "serial_bits": cert.serial_number.bit_length(),
        "serial_positive": cert.serial_number > 0,
        "subject_rfc4514": cert.subject.rfc4514_string(),
        "issuer_rfc4514": cert.issuer.rfc4514_string(),
        "subject_attributes": name_attributes(cert.subject),
        "issuer_attributes": name_attributes(cert.issuer),
        "not_before": int(cert.not_valid_before_utc.timestamp()),
        "not_after": int(cert.not_valid_after_utc.timestamp()),
        "signature_algorithm_oid": cert.signature_algorithm_oid.dotted_string,
        "signature_hash": cert.signature_hash_algorithm.name,
        "signature_valid": signature_valid,
        "public_key": rsa_numbers(public_key),
        "cryptography_extensions": cryptography_extensions,
        "extensions": extensions,
    }


def op_ssh_fingerprint(op):
    return openssh_fingerprint(load_public_key(op))


def op_generate_rsa(op):
    from kubesealpy import Sealer

    key = rsa.generate_private_key(public_exponent=65537, key_size=op["bits"])
    private_format = {
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
        "pkcs8": serialization.PrivateFormat.PKCS8,
    }[op["format"]]
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    sealer = Sealer(key.public_key())
    sealed = [
        b64(
            sealer.seal_value(
                bytes.fromhex(item["value_hex"]),
                namespace=item["namespace"],
                name=item["name"],
                scope=scope_of(item["scope"]),
            )
        )
        for item in op.get("seal", [])
    ]
    return {
        "private_key_pem": private_pem,
        "public_key_pem": public_pem,
        "fingerprint": openssh_fingerprint(key.public_key())["fingerprint"],
        "sealed": sealed,
        **rsa_numbers(key.public_key()),
    }


def op_rsa_key_numbers(op):
    if "public_key_pem" in op:
        public_key = serialization.load_pem_public_key(op["public_key_pem"].encode())
    else:
        public_key = load_private_key(op).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BadRequest("not an RSA key")
    return rsa_numbers(public_key)


def x25519_raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def op_generate_x25519(op):
    key = x25519.X25519PrivateKey.generate()
    return {
        "private_key_pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        "public_key_pem": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
        "public_hex": x25519_raw(key.public_key()).hex(),
    }


def op_x25519_public(op):
    if "public_key_pem" in op:
        public_key = serialization.load_pem_public_key(op["public_key_pem"].encode())
    else:
        public_key = load_private_key(op).public_key()
    if not isinstance(public_key, x25519.X25519PublicKey):
        raise BadRequest("not an X25519 key")
    return {"public_hex": x25519_raw(public_key).hex()}


def op_seal_hpke(op):
    public_key = serialization.load_pem_public_key(op["public_key_pem"].encode())
    label = bytes.fromhex(op["label_hex"])
    return {"sealed": [b64(v2_seal(public_key, label, bytes.fromhex(v))) for v in op["values_hex"]]}


def op_open_hpke(op):
    private_key = load_private_key(op)
    label = bytes.fromhex(op["label_hex"])
    return {"opened": open_each(op["sealed"], lambda raw: v2_open(private_key, label, raw))}


OPS = {
    "versions": op_versions,
    "label": op_label,
    "seal_kubesealpy": op_seal_kubesealpy,
    "seal_cryptography": op_seal_cryptography,
    "open_cryptography": op_open_cryptography,
    "open_kubesealpy": op_open_kubesealpy,
    "inspect_certificate": op_inspect_certificate,
    "ssh_fingerprint": op_ssh_fingerprint,
    "generate_rsa": op_generate_rsa,
    "rsa_key_numbers": op_rsa_key_numbers,
    "generate_x25519": op_generate_x25519,
    "x25519_public": op_x25519_public,
    "seal_hpke": op_seal_hpke,
    "open_hpke": op_open_hpke,
}


def main():
    argparse.ArgumentParser(
        description="Independent sealing peers for tests/peers.rs: reads {\"ops\": [...]} as JSON "
        "on stdin and writes {\"results\": [...]} on stdout (see the module docstring)."
    ).parse_args()
    try:
        request = json.load(sys.stdin)
        results = []
        for op in request["ops"]:
            handler = OPS.get(op.get("op"))
            if handler is None:
                raise BadRequest(f"unknown op {op.get('op')!r}")
            results.append(handler(op))
    except (BadRequest, KeyError, json.JSONDecodeError) as exc:
        print(f"peer.py: bad request: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    json.dump({"results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""OpenSSL peer for the sealing benchmark: times opening v1 (Bitnami) values with PyPI
`cryptography`, which calls OpenSSL directly.

`benches/sealing.rs` runs this in the same `cargo bench` invocation, on the same key and the
same sealed values as its own v1 open benchmark, and prints the two side by side. It can also
be run by hand:

    python openssl_peer.py --key key.pem --label ns/name \
        --value 64B sealed-64B.b64 plain-64B.bin [--value ...] [--batches 30 --batch-size 40]

Each value is opened the way upstream's controller does (u16 big-endian length, RSA-OAEP with
SHA-256 and MGF1-SHA-256 under the label, then AES-256-GCM with a zero nonce and no associated
data), first once to check the plaintext, then in `--batches` timed batches of `--batch-size`
opens each, single-threaded. Timing starts from the raw envelope bytes (base64 is decoded before
the clock starts), as in the Rust benchmark. The per-open time of a batch is its wall time
(time.perf_counter) divided by its size; the report gives the median and the mean over batches.

Output is one JSON document on stdout. `--check` only reports versions (the benchmark calls it
before spending minutes on its own measurements, so a broken peer fails early). Exit status is
non-zero if a value does not open to its expected plaintext.
"""

import argparse
import base64
import json
import platform
import statistics
import sys
import time

import cryptography
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ZERO_NONCE = bytes(12)


def versions():
    return {
        "cryptography": cryptography.__version__,
        "openssl": backend.openssl_version_text(),
        "python": platform.python_version(),
    }


def open_v1(key, oaep, envelope):
    """Opens one v1 envelope; raises on any failure."""
    if len(envelope) < 2:
        raise ValueError("truncated envelope")
    rsa_len = int.from_bytes(envelope[:2], "big")
    if len(envelope) < 2 + rsa_len:
        raise ValueError("truncated envelope")
    session_key = key.decrypt(envelope[2 : 2 + rsa_len], oaep)
    return AESGCM(session_key).decrypt(ZERO_NONCE, envelope[2 + rsa_len :], None)


def measure(key, oaep, envelope, expected, batches, batch_size):
    if open_v1(key, oaep, envelope) != expected:
        raise SystemExit("openssl_peer: plaintext mismatch before timing")
    per_op = []
    plaintext = None
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(batch_size):
            plaintext = open_v1(key, oaep, envelope)
        per_op.append((time.perf_counter() - start) / batch_size)
    if plaintext != expected:
        raise SystemExit("openssl_peer: plaintext mismatch after timing")
    return {
        "batches": batches,
        "batch_size": batch_size,
        "median_s": statistics.median(per_op),
        "mean_s": statistics.fmean(per_op),
        "min_s": min(per_op),
        "max_s": max(per_op),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only print versions")
    parser.add_argument("--key", help="PKCS#1 or PKCS#8 PEM private key")
    parser.add_argument("--label", default="", help="OAEP label (UTF-8)")
    parser.add_argument(
        "--value",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "SEALED_BASE64_FILE", "PLAINTEXT_FILE"),
    )
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=20, help="untimed opens per value")
    args = parser.parse_args()

    report = versions()
    if args.check:
        print(json.dumps(report))
        return
    if not args.key or not args.value:
        parser.error("--key and at least one --value are required")

    with open(args.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=args.label.encode(),
    )
    report["key_bits"] = key.key_size
    report["results"] = []
    for name, sealed_path, plaintext_path in args.value:
        with open(sealed_path, "r", encoding="ascii") as f:
            envelope = base64.b64decode(f.read().strip(), validate=True)
        with open(plaintext_path, "rb") as f:
            expected = f.read()
        for _ in range(args.warmup):
            open_v1(key, oaep, envelope)
        result = measure(key, oaep, envelope, expected, args.batches, args.batch_size)
        result["name"] = name
        result["plaintext_len"] = len(expected)
        report["results"].append(result)
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()

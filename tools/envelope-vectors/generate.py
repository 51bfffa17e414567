"""Generates docs/envelope-vectors.json from docs/envelope.md, independently of the gateway.

A second implementation of the record envelope (formats 1 and 2) and of pseudonyms (Python
`cryptography`), so the checked-in vectors do not merely echo the TypeScript code under test.
Run:
    python3 tools/envelope-vectors/generate.py > docs/envelope-vectors.json
"""

import base64
import hashlib
import hmac
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

COMMITMENT_LABEL = b"residency-gateway/record-key-commitment/v2"
PSEUDONYM_DOMAIN = b"residency-gateway/pseudonym/v2"


def record_key(subject_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"residency-gateway/v1", info=b"record-encryption").derive(
        subject_key
    )


def part(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def aad(binding: dict, version: int) -> bytes:
    fields = [
        b"residency-gateway/record",
        bytes([version]),
        binding["region"].encode(),
        binding["collection"].encode(),
        binding["subjectId"].encode(),
        binding["recordId"].encode(),
        struct.pack(">I", binding["keyVersion"]),
    ]
    if version == 2:
        fields.append(struct.pack(">Q", binding["recordVersion"]))
    return b"".join(part(f) for f in fields)


def commitment(key: bytes) -> bytes:
    return hmac.new(key, COMMITMENT_LABEL, hashlib.sha256).digest()


def seal(version: int, key: bytes, nonce: bytes, plaintext: bytes, binding: dict) -> bytes:
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad(binding, version))
    if version == 1:
        return bytes([1]) + nonce + sealed
    return bytes([2]) + nonce + commitment(key) + sealed


def payload(document: dict, writer: str) -> str:
    # What the gateway writes: JSON.stringify({document, writer}), members in that order.
    return json.dumps({"document": document, "writer": writer}, ensure_ascii=False, separators=(",", ":"))


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def pseudonym(key: bytes, collection: str, field: str, writer, value) -> str:
    # JCS of a string, integer or boolean is what json.dumps writes for it (no floats here).
    encoded = json.dumps(value, ensure_ascii=False).encode()
    parts = [PSEUDONYM_DOMAIN, collection.encode(), field.encode(), (writer or "").encode(), encoded]
    digest = hmac.new(key, b"".join(part(p) for p in parts), hashlib.sha256).digest()
    return "pn_" + base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


LOCATION = {
    "region": "us-east-1",
    "collection": "direct_message",
    "subjectId": "s1.us-east-1.0123456789abcdefghjkmnpqrs",
    "recordId": "msg-0001",
    "keyVersion": 1,
}
MESSAGE = {"senderId": "u-42", "body": "meet at noon", "sentAt": "2026-11-26T12:00:00Z"}

# (format version, name, subject key, nonce, binding, plaintext). Format 1 bindings carry a record
# version too: a format 1 envelope must open whatever it is, since format 1 does not bind it.
cases = [
    (1, "v1 direct message", bytes(range(32)), bytes.fromhex("000102030405060708090a0b"),
     {**LOCATION, "recordVersion": 1}, json.dumps(MESSAGE, separators=(",", ":"))),
    (1, "v1 empty document", bytes([0xA5] * 32), bytes.fromhex("ffffffffffffffffffffffff"),
     {**LOCATION, "region": "eu-central-1", "subjectId": "s1.eu-central-1.zzzzzzzzzzzzzzzzzzzzzzzzzz",
      "collection": "profile", "recordId": "main", "recordVersion": 4}, "{}"),
    (1, "v1 unicode and key version 7", bytes.fromhex("5f" * 32), bytes.fromhex("0123456789abcdef01234567"),
     {**LOCATION, "recordId": "r~1._-", "keyVersion": 7, "recordVersion": 2}, '{"displayName":"Zoë 🌍"}'),
    (2, "v2 direct message, version 1", bytes(range(32)), bytes.fromhex("000102030405060708090a0b"),
     {**LOCATION, "recordVersion": 1}, payload(MESSAGE, "svc:messaging")),
    (2, "v2 empty document, version 3", bytes([0xA5] * 32), bytes.fromhex("ffffffffffffffffffffffff"),
     {**LOCATION, "region": "eu-central-1", "subjectId": "s1.eu-central-1.zzzzzzzzzzzzzzzzzzzzzzzzzz",
      "collection": "profile", "recordId": "main", "recordVersion": 3}, payload({}, "svc:feed")),
    (2, "v2 unicode, key version 7, record version above 2^32", bytes.fromhex("5f" * 32),
     bytes.fromhex("0123456789abcdef01234567"),
     {**LOCATION, "recordId": "r~1._-", "keyVersion": 7, "recordVersion": 2**32 + 5},
     payload({"displayName": "Zoë 🌍", "age": 42, "verified": True, "phone": None}, "svc:profile-ä")),
]

known = []
for version, name, subject_key, nonce, binding, text in cases:
    key = record_key(subject_key)
    entry = {
        "name": name,
        "formatVersion": version,
        "subjectKey": subject_key.hex(),
        "recordKey": key.hex(),
        "nonce": nonce.hex(),
        "binding": binding,
        "plaintext": text,
        "associatedData": aad(binding, version).hex(),
        "envelope": seal(version, key, nonce, text.encode(), binding).hex(),
    }
    if version == 2:
        entry["keyCommitment"] = commitment(key).hex()
    known.append(entry)

negative = []


def refuse(version: int, name: str, key: bytes, envelope: bytes, binding: dict, error: str = "integrity_violation"):
    negative.append((f"v{version} {name}", key, envelope, binding, error))


# Format 1, still read: the same refusals as ever.
v1 = known[0]
key = bytes.fromhex(v1["recordKey"])
envelope = bytes.fromhex(v1["envelope"])
at = v1["binding"]
refuse(1, "flipped ciphertext byte", key, flip(envelope, 20), at)
refuse(1, "flipped nonce byte", key, flip(envelope, 3), at)
refuse(1, "flipped tag byte", key, flip(envelope, len(envelope) - 1), at)
refuse(1, "truncated tag", key, envelope[:-1], at)
refuse(1, "shorter than the v1 overhead", key, envelope[:28], at)
refuse(1, "copied to another record id", key, envelope, {**at, "recordId": "msg-0002"})
refuse(1, "copied to another subject", key, envelope, {**at, "subjectId": "s1.us-east-1.zzzzzzzzzzzzzzzzzzzzzzzzzz"})
refuse(1, "copied to another region", key, envelope, {**at, "region": "us-west-2"})
refuse(1, "copied to another collection", key, envelope, {**at, "collection": "profile"})
refuse(1, "another key version", key, envelope, {**at, "keyVersion": 2})
refuse(1, "another subject's key", record_key(bytes(32)), envelope, at)
refuse(1, "length prefixes: a field boundary moved", key, envelope,
       {**at, "collection": "direct_messag", "subjectId": "e" + at["subjectId"]})
refuse(1, "relabelled as format 2", key, bytes([2]) + envelope[1:], at)

# Format 2.
v2 = known[3]
key = bytes.fromhex(v2["recordKey"])
envelope = bytes.fromhex(v2["envelope"])
at = v2["binding"]
other_key = record_key(bytes(32))
# The same record at version 2: what an insider would put back after version 3 is written.
older = seal(2, key, bytes.fromhex("0c0b0a090807060504030201"), payload(MESSAGE, "svc:messaging").encode(),
             {**at, "recordVersion": 2})
refuse(2, "flipped ciphertext byte", key, flip(envelope, 70), at)
refuse(2, "flipped nonce byte", key, flip(envelope, 3), at)
refuse(2, "flipped key commitment byte", key, flip(envelope, 13 + 5), at)
refuse(2, "flipped tag byte", key, flip(envelope, len(envelope) - 1), at)
refuse(2, "truncated tag", key, envelope[:-1], at)
refuse(2, "shorter than the v2 overhead", key, envelope[:60], at)
refuse(2, "only the header", key, envelope[:45], at)
refuse(2, "wrong record version: an older envelope of the record put back", key, older, {**at, "recordVersion": 3})
refuse(2, "wrong record version: opened as a newer one", key, envelope, {**at, "recordVersion": 2})
refuse(2, "wrong record version: 2^32 + 1 is not 1", key, envelope, {**at, "recordVersion": 2**32 + 1})
refuse(2, "copied to another record id", key, envelope, {**at, "recordId": "msg-0002"})
refuse(2, "copied to another subject", key, envelope, {**at, "subjectId": "s1.us-east-1.zzzzzzzzzzzzzzzzzzzzzzzzzz"})
refuse(2, "copied to another region", key, envelope, {**at, "region": "us-west-2"})
refuse(2, "copied to another collection", key, envelope, {**at, "collection": "profile"})
refuse(2, "another key version", key, envelope, {**at, "keyVersion": 2})
refuse(2, "another subject's key (its commitment does not match)", other_key, envelope, at)
committed_elsewhere = envelope[:13] + commitment(other_key) + envelope[45:]
refuse(2, "a commitment to another key, under the right key", key, committed_elsewhere, at)
refuse(2, "a commitment to another key, under that other key", other_key, committed_elsewhere, at)
refuse(2, "length prefixes: a field boundary moved", key, envelope,
       {**at, "collection": "direct_messag", "subjectId": "e" + at["subjectId"]})
refuse(2, "relabelled as format 1", key, bytes([1]) + envelope[1:], at)
refuse(2, "relabelled as format 1 without the commitment", key, bytes([1]) + envelope[1:13] + envelope[45:], at)
refuse(2, "unknown format version 3", key, bytes([3]) + envelope[1:], at, "unsupported_envelope_version")
refuse(2, "format version 0", key, bytes([0]) + envelope[1:], at, "unsupported_envelope_version")
refuse(2, "format version 255", key, bytes([255]) + envelope[1:], at, "unsupported_envelope_version")
refuse(2, "empty envelope", key, b"", at)

pseudonym_key = bytes(range(100, 132))
pseudonym_cases = [
    ("a sender id written by messaging", "direct_message", "senderId", "svc:messaging", "u-1007"),
    ("the same value written by another service", "direct_message", "senderId", "svc:evil", "u-1007"),
    ("the same value in another field", "direct_message", "recipientId", "svc:messaging", "u-1007"),
    ("the same value in another collection", "watch_event", "senderId", "svc:messaging", "u-1007"),
    ("a format 1 record (writer unknown)", "direct_message", "senderId", None, "u-1007"),
    ("a number", "watch_event", "watchedMs", "svc:feed", 1500),
    ("a boolean", "profile", "verified", "svc:feed", True),
    ("a string that looks like a number", "watch_event", "watchedMs", "svc:feed", "1500"),
    ("unicode", "profile", "displayName", "svc:feed", "Zoë 🌍"),
]
pseudonyms = [
    {"name": n, "collection": c, "field": f, "writer": w, "value": v, "pseudonym": pseudonym(pseudonym_key, c, f, w, v)}
    for n, c, f, w, v in pseudonym_cases
]

print(
    json.dumps(
        {
            "description": "Record envelope (formats 1 and 2) and pseudonym test vectors (docs/envelope.md). "
            "Generated by tools/envelope-vectors/generate.py.",
            "knownAnswer": known,
            "negative": [
                {"name": n, "recordKey": k.hex(), "envelope": e.hex(), "binding": b, "error": err}
                for n, k, e, b, err in negative
            ],
            "pseudonyms": {"key": pseudonym_key.hex(), "vectors": pseudonyms},
        },
        indent=2,
        ensure_ascii=False,
    )
)

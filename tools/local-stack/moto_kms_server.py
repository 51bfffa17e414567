"""moto's AWS API server on loopback, standing in for each region's KMS locally.

moto keeps its keys in memory. With --state FILE, the symmetric KMS keys (id, region, key
material, aliases) are written to FILE every few seconds and on shutdown, and restored at
start, so data sealed by `npm start` stays readable across restarts. The test harness runs it
without --state: every run starts with no keys.
"""

import argparse
import json
import os
import signal
import threading

from moto.kms.models import kms_backends
from moto.server import ThreadedMotoServer


def snapshot():
    keys = []
    for account_id, regions in kms_backends.items():
        for region, backend in regions.items():
            for key in backend.keys.values():
                if key.key_spec != "SYMMETRIC_DEFAULT":
                    continue
                keys.append(
                    {
                        "account": account_id,
                        "region": region,
                        "id": key.id,
                        "arn": key.arn,
                        "material": key.key_material.hex(),
                        "description": key.description,
                        "enabled": key.enabled,
                        "aliases": sorted(key.aliases.keys()),
                    }
                )
    return keys


def restore(keys):
    for entry in keys:
        backend = kms_backends[entry["account"]][entry["region"]]
        key = backend.create_key(
            policy=None,
            key_usage="ENCRYPT_DECRYPT",
            key_spec="SYMMETRIC_DEFAULT",
            description=entry["description"],
            tags=None,
        )
        del backend.keys[key.id]
        key.id = entry["id"]
        key.arn = entry["arn"]
        key.key_material = bytes.fromhex(entry["material"])
        key.enabled = entry["enabled"]
        key.key_state = "Enabled" if entry["enabled"] else "Disabled"
        backend.keys[key.id] = key
        for alias in entry["aliases"]:
            backend.create_alias(key.id, alias)


def save(path, last):
    keys = snapshot()
    text = json.dumps(keys, indent=1, sort_keys=True)
    if text == last:
        return last
    tmp = path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(text)
    os.replace(tmp, path)
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state")
    args = parser.parse_args()

    last = None
    if args.state and os.path.exists(args.state):
        with open(args.state) as source:
            last = source.read()
        restore(json.loads(last))

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(2.0):
        if args.state:
            last = save(args.state, last)
    if args.state:
        save(args.state, last)
    server.stop()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The current AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage,
s3-request-presigner, pinned in js/package-lock.json and installed by
scripts/setup.sh) against a real server, with the SDK's defaults on.

Usage: js_sdk_test.py PATH/TO/tessera-server
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import check, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "JSSDKACCESSKEY000001", "jssdksecretkey00000000000000000000000001"
JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def main():
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(JS, "node_modules", "@aws-sdk", "client-s3")):
        print("FAIL node or tests/integration/js/node_modules missing: run scripts/setup.sh")
        return 1
    with running_server(sys.argv[1], {ACCESS: SECRET}) as server:
        r = subprocess.run([node, os.path.join(JS, "client_sdk.mjs"), server.url, ACCESS, SECRET, "jssdk"],
                           capture_output=True, text=True, timeout=500)
        print(r.stdout + r.stderr[-3000:], flush=True)
        check(r.returncode == 0, "client_sdk.mjs with the current JavaScript SDK")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Ranged and part GETs with the clients users run: Debian's boto3 1.26 and
aws-cli 2.9, and the image's current boto3 1.43 and aws-cli 1.45 (first on
PATH), which verify response checksums by default. Single-PUT objects of
20 MB and 200 MB download with `aws s3 cp`, ranged get_object succeeds
(client_downloads.py); tagging and GetObjectAttributes (client_tagging.py).

Usage: client_versions_test.py PATH/TO/tessera-server
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import check, current_aws, current_python, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "CLIENTSACCESSKEY0001", "clientssecretkey000000000000000000000001"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with running_server(sys.argv[1], {ACCESS: SECRET}) as server:
        subprocess.run(["/usr/bin/python3", "-c", f"""
import boto3
boto3.client("s3", endpoint_url="{server.url}", aws_access_key_id="{ACCESS}",
             aws_secret_access_key="{SECRET}", region_name="us-east-1").create_bucket(Bucket="clients")
"""], check=True)
        pairs = [("/usr/bin/python3", "/usr/bin/aws")]
        if current_python() and current_aws():
            pairs.append((current_python(), current_aws()))
        else:
            print("note: no current boto3/aws-cli on PATH besides Debian's; checked Debian's clients only")
        for python, aws in pairs:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            for helper, args in (("client_downloads.py", [server.folder, aws]), ("client_tagging.py", [])):
                r = subprocess.run([python, os.path.join(HERE, helper), server.url, ACCESS, SECRET, "clients", *args],
                                   env=env, capture_output=True, text=True)
                print(r.stdout + r.stderr[-2000:], flush=True)
                check(r.returncode == 0, f"{helper} with {python} and {aws}")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())

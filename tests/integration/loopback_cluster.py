"""A loopback cluster from a checked-in cluster file, moved to free ports,
for the integration tests that run one through scripts/cluster.sh."""
import os
import random
import re
import socket
import subprocess
import tempfile
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts/cluster.sh")


def free_port_base(count):
    """A base port with count free ports above it (best effort). The scan
    starts at a random place: two tests that start together (ctest -j)
    must not both take the first free range before either binds it."""
    bases = list(range(20000, 32000, 97))  # below Linux's ephemeral ports (32768-60999)
    start = random.randrange(len(bases))
    for base in bases[start:] + bases[:start]:
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports")


def ready(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def metric(port, name):
    """A gauge from a gateway's /metrics, or None."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return None
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def fragment_bytes(data):
    """What the fragment blobs under a cluster's data directory hold."""
    total = 0
    for root, _, files in os.walk(data):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.startswith("f-"))
    return total


def prepare_cluster(server, cluster_file, access, secret):
    """(tmp dir, cluster file path, data dir, sh): the checked-in cluster
    moved to free ports (RPC 191NN -> base + NN, S3 190NN -> base + 22 + NN),
    and sh(*args) running scripts/cluster.sh with this server and user."""
    tmp = tempfile.mkdtemp(prefix="tessera-cluster-")
    base = free_port_base(24)
    template = open(os.path.join(REPO, "clusters", cluster_file)).read()
    cluster = re.sub(r"\b19(0|1)(\d\d)\b",
                     lambda m: str(base + int(m.group(2)) + (22 if m.group(1) == "0" else 0)), template)
    path = os.path.join(tmp, "cluster.textproto")
    open(path, "w").write(cluster)
    users = os.path.join(tmp, "users")
    open(users, "w").write(f"{access}:{secret}\n")
    env = dict(os.environ, TESSERA_SERVER=server, TESSERA_USERS=users)
    data = os.path.join(tmp, "data")

    def sh(*args):
        r = subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
        return r
    return tmp, path, data, sh

"""Helpers shared by the integration tests."""
import hashlib
import os

failures = []


def check(cond, what):
    """Prints one ok/FAIL line; failures are collected for the exit status."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def exit_status():
    """Prints the failure count; the exit status for it."""
    print(f"{len(failures)} failures", flush=True)
    return 1 if failures else 0


def body(n, seed):
    """n bytes that depend on seed: a hash chain, cheap to regenerate for comparison."""
    out = bytearray()
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h * 128
    return bytes(out[:n])


class RunningServer:
    """A tessera-server in embedded mode on a free port, its output in a file."""

    def __init__(self, proc, port, log_path, folder):
        self.proc, self.port, self.log_path, self.folder = proc, port, log_path, folder

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self, field="VmRSS"):
        """The server's resident set (VmRSS) or its peak so far (VmHWM), KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop_and_log(self):
        import signal
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        return self.log()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_server(binary, tmp, users, args=(), env_extra=None):
    """Starts binary with a users file of {access: secret}; waits for its URL."""
    import re
    import subprocess
    import time
    users_path = os.path.join(tmp, "users")
    with open(users_path, "w") as f:
        f.write("".join(f"{k}:{v}\n" for k, v in users.items()))
    env = dict(os.environ, **(env_extra or {}))
    env.pop("TESSERA_ACCESS_KEY", None)
    log_path = os.path.join(tmp, "server.log")
    out = open(log_path, "w")
    proc = subprocess.Popen([binary, "--data-dir", os.path.join(tmp, "data"), "--port", "0", "--users", users_path,
                             *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log_path, errors="replace") as f:
            m = re.search(r"http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            return RunningServer(proc, int(m.group(1)), log_path, tmp)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    with open(log_path, errors="replace") as f:
        raise RuntimeError("server did not start: " + f.read()[-2000:])


class running_server:
    """`with running_server(binary, users) as server:` a server in a fresh
    temp folder, killed and its folder removed at the end of the block."""

    def __init__(self, binary, users, args=(), env_extra=None):
        self.start = (binary, users, args, env_extra)

    def __enter__(self):
        import tempfile
        binary, users, args, env_extra = self.start
        self.tmp = tempfile.mkdtemp(prefix="tessera-it-")
        try:
            self.server = start_server(binary, self.tmp, users, args, env_extra)
        except BaseException:
            self.__exit__()
            raise
        return self.server

    def __exit__(self, *exc):
        import shutil
        if getattr(self, "server", None):
            self.server.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def current_aws():
    """The image's current aws-cli (first on PATH) when it is not Debian's."""
    import shutil
    found = shutil.which("aws")
    return found if found and os.path.realpath(found) != "/usr/bin/aws" else None


def current_python():
    """The first python3 on PATH with boto3, when it is not Debian's."""
    import shutil
    import subprocess
    found = shutil.which("python3")
    if not found or os.path.realpath(found) == os.path.realpath("/usr/bin/python3"):
        return None
    ok = subprocess.run([found, "-c", "import boto3"], capture_output=True).returncode == 0
    return found if ok else None

"""Helpers shared by the integration tests."""
import hashlib

failures = []


def check(cond, what):
    """Prints one ok/FAIL line; failures are collected for the exit status."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def body(n, seed):
    """n bytes that depend on seed: a hash chain, cheap to regenerate for comparison."""
    out = bytearray()
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h * 128
    return bytes(out[:n])

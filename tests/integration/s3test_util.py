"""Helpers shared by the integration tests."""
import hashlib


def body(n, seed):
    """n bytes that depend on seed: a hash chain, cheap to regenerate for comparison."""
    out = bytearray()
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h * 128
    return bytes(out[:n])

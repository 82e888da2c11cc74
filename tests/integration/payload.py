# SPDX-License-Identifier: GPL-2.0
"""What netio puts at each offset of a stream (see fill() in tests/helpers/netio.c): every
64-byte block starts with a terminal escape, a NUL and invalid UTF-8."""

PREFIX = b"\x1b[2J\x00\xc3\x28\xff\xfe"


def stream_bytes(off, n):
    out = bytearray(n)
    for i in range(n):
        k = off + i
        out[i] = PREFIX[k % 64] if k % 64 < len(PREFIX) else ((k * 2654435761) & 0xffffffff) >> 24
    return bytes(out)

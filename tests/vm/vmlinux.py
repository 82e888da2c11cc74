# SPDX-License-Identifier: GPL-2.0
"""Extracts the uncompressed vmlinux (an ELF file) from a bzImage, as the kernel's
scripts/extract-vmlinux does: find a compressed stream's magic, decompress from there, keep
the first result that is ELF. Debian compresses 6.1 with xz and 6.12 with zstd. QEMU boots
the ELF directly through its PVH entry point, which saves the in-guest decompression (about
2.5 s under TCG).

    vmlinux.py BZIMAGE OUTPUT"""

import lzma
import subprocess
import sys

MAGICS = ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))


def decompress(data, kind):
    if kind == "xz":
        try:
            return lzma.LZMADecompressor().decompress(data)
        except lzma.LZMAError:
            return b""
    # zstd -d writes the first frame, then complains about what follows it
    return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True).stdout


def main():
    src, dst = sys.argv[1:3]
    with open(src, "rb") as f:
        data = f.read()
    for magic, kind in MAGICS:
        off = data.find(magic)
        while off >= 0:
            out = decompress(data[off:], kind)
            if out[:4] == b"\x7fELF":
                with open(dst, "wb") as f:
                    f.write(out)
                return
            off = data.find(magic, off + 1)
    sys.exit("vmlinux.py: no compressed ELF kernel found in %s" % src)


if __name__ == "__main__":
    main()

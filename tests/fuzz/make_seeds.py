#!/usr/bin/python3
"""make_seeds.py - write the binary seed corpora of the fuzz targets (tests/fuzz/corpus_X/).

The seeds are committed; run this again only when an encoded format changes. Each seed is a
small, valid input of the target's format (see the comment at the top of fuzz_X.c), so that the
fuzzer starts from values the code accepts and mutates them from there. Seeds named crash-* or
regress-* are reproducers of fixed bugs and are never written here.

usage: tests/fuzz/make_seeds.py [TARGET...]   (default: every target below)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def s(b):
    """cap_buf_str: u32 length then the bytes; None is stored as 0xffffffff."""
    if b is None:
        return u32(0xFFFFFFFF)
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def write(target, name, data):
    d = os.path.join(HERE, "corpus_" + target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- libpq: "CPQ1" (hooks/pq_codec.h); header bytes: status, first, count -------------------

def pq_value(cmd, fields, rows):
    out = u32(0x31515043) + s(cmd) + u32(len(fields)) + u32(len(rows))
    for name, typid, typlen in fields:
        out += s(name.encode() + b"\0") + u32(16384) + u32(1) + u32(0) + u32(typid)
        out += u32(typlen) + u32(0xFFFFFFFF)
    for r in rows:
        for v in r:
            out += s(v)
    return out


def seeds_pq_codec():
    items = pq_value("SELECT 3", [("id", 23, 4), ("name", 25, 0xFFFFFFFF)],
                     [["1", "one"], ["2", None], ["3", ""]])
    write("pq_codec", "three_rows", b"\0\0\xff" + items)
    write("pq_codec", "single_tuple", b"\1\1\1" + items)
    write("pq_codec", "empty", b"\0\0\xff" + pq_value("SELECT 0", [("x", 25, 0xFFFFFFFF)], []))
    write("pq_codec", "no_fields", b"\0\0\xff" + pq_value("SELECT 0", [], []))
    write("pq_codec", "binary", b"\0\0\xff" +
          pq_value("SELECT 1", [("b", 17, 0xFFFFFFFF)], [[b"\0\1\2\xff"]]))


TARGETS = {
    "pq_codec": seeds_pq_codec,
}

if __name__ == "__main__":
    for t in sys.argv[1:] or sorted(TARGETS):
        TARGETS[t]()

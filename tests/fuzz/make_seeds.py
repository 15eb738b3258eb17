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


# ---- Connector/C: "CMY2" and "CMS1" (hooks/mysql_codec.h); header byte: decoder, shape ---------

MY_TYPE = {"long": 3, "longlong": 8, "double": 5, "null": 6, "date": 10, "time": 11,
           "datetime": 12, "var_string": 253, "blob": 252, "newdecimal": 246}


def my_text(fields, rows):
    nbytes = sum(len(v) + 1 for r in rows for v in r if v is not None)
    out = u32(0x32594D43) + u32(len(fields)) + u64(len(rows)) + u64(nbytes)
    for name, typ in fields:
        for st in (name, name, "t", "t", "capacitor", "def"):
            out += s(st)
        out += s(None) + u64(11) + u64(max([len(r[0] or b"") for r in rows] + [0]))
        out += u32(0) + u32(0) + u32(33) + u32(MY_TYPE[typ])
        out += s("json" if typ == "blob" else None) + s(None)  # mariadb_field_attr
    for r in rows:
        for v in r:
            out += s(v)
    return out


def lenenc(b):
    assert len(b) < 251
    return bytes([len(b)]) + b


def my_stmt(types, rows):
    """rows: lists of bytes values already in binary form (None = NULL)."""
    nf = len(types)
    packets = []
    for r in rows:
        bitmap = bytearray((nf + 9) // 8)
        vals = b""
        for i, v in enumerate(r):
            if v is None:
                bitmap[(i + 2) // 8] |= 1 << ((i + 2) % 8)
            else:
                vals += v
        packets.append(b"\0" + bytes(bitmap) + vals)
    out = u32(0x31534D43) + u32(nf) + u64(len(rows)) + u64(sum(len(p) for p in packets))
    for t in types:
        out += u32(MY_TYPE[t]) + u32(0) + u32(0) + u32(63) + u64(20) + u64(0)
    for p in packets:
        out += s(p)
    return out


def seeds_my_codec():
    text = my_text([("id", "long"), ("name", "var_string")],
                   [[b"1", b"one"], [b"2", None], [b"3", b""], [b"4", b"a\0b"]])
    write("my_codec", "text", b"\0" + text)
    write("my_codec", "text_unbuffered", b"\2" + text)
    write("my_codec", "text_no_rows", b"\0" + my_text([("x", "blob")], []))
    st = my_stmt(["long", "var_string", "double", "datetime", "null"],
                 [[struct.pack("<i", 7), lenenc(b"seven"), struct.pack("<d", 0.5),
                   lenenc(bytes([0xE7, 0x07, 12, 7, 1, 2, 3])), None],
                  [None, lenenc(b""), None, lenenc(b""), None]])
    write("my_codec", "stmt", b"\1" + st)
    big = my_stmt(["blob"], [[b"\xfc" + struct.pack("<H", 300) + b"x" * 300]])
    write("my_codec", "stmt_lenenc2", b"\1" + big)


# ---- CAPACITOR_* values: lines of selector byte (variable index mod the table's length) + value --

CONFIG_VARS = ["ENABLE", "DIR", "MEM", "DISK", "TTL", "MAX_RESULT", "RULES", "TXN", "LOG",
               "LOG_LEVEL", "LOG_INTERVAL"]  # preload/config.c, in table order


def config_lines(items):
    n = len(CONFIG_VARS)
    out = b""
    for name, v in items:
        i = CONFIG_VARS.index(name)
        out += bytes([0x80 + (i - 0x80) % n]) + v + b"\n"
    return out


def seeds_config():
    write("config", "defaults", config_lines([
        ("ENABLE", b"1"), ("DIR", b""), ("MEM", b"64M"), ("DISK", b"256M"), ("TTL", b"0"),
        ("MAX_RESULT", b"1M"), ("RULES", b""), ("TXN", b"strict"), ("LOG", b""),
        ("LOG_LEVEL", b"warn"), ("LOG_INTERVAL", b"60s")]))
    write("config", "sizes", config_lines([
        ("MEM", b"512KiB"), ("DISK", b"1G"), ("MAX_RESULT", b"64kb"),
        ("MEM", b"18446744073709551615"), ("DISK", b"16777216T"), ("MAX_RESULT", b"0")]))
    write("config", "durations", config_lines([
        ("TTL", b"500ms"), ("LOG_INTERVAL", b"0"), ("TTL", b"7d"), ("LOG_INTERVAL", b"5m"),
        ("TTL", b"18446744073709551615ns"), ("TTL", b"30")]))
    write("config", "enums", config_lines([
        ("ENABLE", b"0"), ("TXN", b"read-committed"), ("LOG_LEVEL", b"debug"),
        ("LOG", b"stderr"), ("DIR", b"/tmp/x"), ("RULES", b"/etc/rules")]))
    write("config", "bad", config_lines([
        ("ENABLE", b"yes"), ("MEM", b"-1"), ("DISK", b" 64M"), ("TTL", b"1.5s"),
        ("MAX_RESULT", b"0x10"), ("TXN", b"STRICT"), ("DIR", b"rel/dir"), ("LOG", b"log.txt")]))


# ---- CAPACITOR_DIR/gen (cache/gen.h): flags, header, counter patches ----------------------------

GEN_SLOTS = 1 + 16384 + 4096
GEN_FORMAT = (1 << 56) | (64 << 40) | (40 << 32) | GEN_SLOTS
GEN_SIZE = 64 + GEN_SLOTS * 8


def gen_hdr(magic=0x314E454750414355, fmt=GEN_FORMAT, nonce=0x1234, slots=GEN_SLOTS,
            tables=16384, dbs=4096, retired=0):
    # boot and time namespace (and so the checksum) are filled in by the target (flags 1, 2)
    return (u64(magic) + u64(fmt) + u64(nonce) + u32(slots) + u32(tables) + u32(dbs) + u32(0)
            + u64(0) + u64(retired) + u64(0))


def gen_patch(slot, v):
    return struct.pack("<H", slot % 65536) + u64(v)


def seeds_gen():
    write("gen", "valid", bytes([3]) + gen_hdr())
    write("gen", "valid_patched", bytes([3 | 0x20]) + gen_hdr() + gen_patch(1, 41) +
          gen_patch(0, 7) + gen_patch(GEN_SLOTS - 1, 1 << 63))
    write("gen", "valid_truncated_later", bytes([3 | 16]) + gen_hdr())
    write("gen", "retired", bytes([3]) + gen_hdr(retired=1))
    write("gen", "retired_build", bytes([3 | 8]) + gen_hdr(retired=1))
    write("gen", "short_file", bytes([3 | 4]) + gen_hdr() + u32(GEN_SIZE - 8))
    write("gen", "no_checksum", bytes([1]) + gen_hdr())
    write("gen", "other_format", bytes([3 | 8]) + gen_hdr(fmt=GEN_FORMAT + 1))
    write("gen", "bad_geometry", bytes([3]) + gen_hdr(tables=8192))


# ---- CAPACITOR_DIR/stats (cache/stats_file.h): flags, patches (area, index, offset, bytes) ------

def stats_patch(area, idx, off, b):
    return bytes([area]) + struct.pack("<HH", idx, off) + bytes([len(b)]) + b


def seeds_stats():
    hdr, slot, totals, data, shape = range(5)
    counters = b"".join(u64(v) for v in (10, 8, 2, 5, 3, 2, 3, 0))  # queries, reads, ...
    hist = u64(123456) + u64(0) * 7 + u64(4) + u64(1) * 20          # path 0: sum, pad, buckets
    used = u64(0) * 4 + u64(1)                                         # slot: owner .. used
    write("stats", "empty", bytes([0xF0]))
    write("stats", "slots", bytes([0x30]) + stats_patch(slot, 1, 0, used) +
          stats_patch(data, 1, 0, counters) + stats_patch(totals, 0, 0, counters) +
          stats_patch(slot, 2, 0, u64(1 | 2 << 32) + u64(0) + u64(5) + u64(4096) + u64(1)))
    write("stats", "hist", bytes([0x10]) + stats_patch(slot, 3, 0, used) +
          stats_patch(data, 3, 256, hist) + stats_patch(totals, 0, 256, hist))
    write("stats", "shapes", bytes([0x40]) +
          stats_patch(shape, 0, 0, u64(0xABCDEF) + u32(1) + u32(3) + u64(5) + u64(2)) +
          stats_patch(shape, 0, 64, u64(3) * 4) +
          stats_patch(shape, 0, 2240, b"SELECT a FROM t WHERE b = ?\0") +
          stats_patch(shape, 512, 16, u64(1) * 5))
    write("stats", "reset", bytes([0x01]) + stats_patch(slot, 1, 0, used) +
          stats_patch(data, 1, 0, counters))
    write("stats", "fold_excluded", bytes([0x00]) + stats_patch(slot, 1, 0, used) +
          stats_patch(data, 1, 0, counters) + stats_patch(hdr, 0, 192, u64(5 << 17 | 2 << 1 | 1)))
    write("stats", "short_file", bytes([0x02]) + u32(100000))
    write("stats", "truncated_later", bytes([0x04]) + stats_patch(slot, 1, 0, used))


# ---- CAPACITOR_DIR/l2.cache (cache/disk.h): operations on a region holding four entries -------

def disk_op(op, *args, b=b""):
    return bytes([op]) + b"".join(args) + (bytes([len(b)]) + b if op < 3 else b"")


def seeds_disk():
    write("disk", "clean", b"")
    write("disk", "bump", disk_op(4, b"\x01"))
    write("disk", "ring_byte", disk_op(2, u32(60), b=b"\xff"))
    write("disk", "forged_ndeps", disk_op(2, u32(52), b=u32(40)) + disk_op(3, b"\x00"))
    write("disk", "forged_klen", disk_op(2, u32(44), b=u32(1000)) + disk_op(3, b"\x00"))
    write("disk", "reserved_back", disk_op(0, b"\x08", b=u64(16)))
    write("disk", "tail_ahead", disk_op(0, b"\x10", b=u64(1 << 40)))
    write("disk", "index_way", disk_op(1, struct.pack("<H", 32), b=u64(0)))
    write("disk", "skip_header", disk_op(2, u32(40), b=u32(64) + u32(0xFFFFFFFF)))
    write("disk", "wrap", disk_op(5))
    write("disk", "wrap_over_bad_entry", disk_op(2, u32(40), b=u32(8)) + disk_op(5))


TARGETS = {
    "disk": seeds_disk,
    "stats": seeds_stats,
    "gen": seeds_gen,
    "config": seeds_config,
    "my_codec": seeds_my_codec,
    "pq_codec": seeds_pq_codec,
}

if __name__ == "__main__":
    for t in sys.argv[1:] or sorted(TARGETS):
        TARGETS[t]()

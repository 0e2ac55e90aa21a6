#!/usr/bin/env python3
"""Reads a TensorBoard event file with tools YoloDeck did not write: the TFRecord framing is
checked with python3-crc32c (both masked CRCs of every record), each record's fields are decoded
by `protoc --decode_raw`. Prints one JSON object per record on stdout; exits 1 on a bad frame."""
import json
import struct
import subprocess
import sys

import crc32c


def masked(data):
    c = crc32c.crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def parse(lines):
    """protoc --decode_raw text -> {field: [values]} (nested messages as dicts)."""
    out = {}
    while lines:
        line = lines.pop(0).strip()
        if not line:
            continue
        if line == "}":
            return out
        if line.endswith("{"):
            key = line[:-1].strip()
            out.setdefault(key, []).append(parse(lines))
        else:
            key, value = line.split(":", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def as_float(text):
    v = int(text, 16)
    return struct.unpack("<f", struct.pack("<I", v))[0]


def as_double(text):
    v = int(text, 16)
    return struct.unpack("<d", struct.pack("<Q", v))[0]


def main(path):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(header) != length_crc:
            print("bad length crc at %d" % pos, file=sys.stderr)
            return 1
        body = data[pos + 12:pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if masked(body) != body_crc:
            print("bad data crc at %d" % pos, file=sys.stderr)
            return 1
        pos += 16 + length
        raw = subprocess.run(["protoc", "--decode_raw"], input=body, capture_output=True,
                             check=True).stdout.decode()
        fields = parse(raw.splitlines())
        record = {"wall_time": as_double(fields["1"][0]),
                  "step": int(fields.get("2", ["0"])[0])}
        if "3" in fields:
            record["file_version"] = json.loads(fields["3"][0])
        if "5" in fields:
            # proto3 leaves out a simple_value of 0.0
            record["scalars"] = [[json.loads(v["1"][0]), as_float(v.get("2", ["0x0"])[0])]
                                 for v in fields["5"][0].get("1", [])]
        if "6" in fields:
            record["session_log_status"] = int(fields["6"][0].get("1", ["0"])[0])
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

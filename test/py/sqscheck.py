"""Shared helpers of the black-box Python client checks (no third-party
imports here, so it loads under any interpreter)."""

import hashlib
import re
import struct
import sys

FAILURES = []

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The S3 new-object notification body from seed 002 (the SQS listener).
S3_EVENT_BODY = (
    '{"Records": [{"s3": {"object": {"key": "1234567/abcd1234-1234-abcd-5678-1234abcd1234/'
    '20200609125740-1234567890abcdef1234567890abcdef","size": 11805,'
    '"eTag": "9876543210abcdef9876543210abcdef","sequencer": "00E5FD87444DFD5752"}}}]}'
)
S3_EVENT_KEY = "1234567/abcd1234-1234-abcd-5678-1234abcd1234/20200609125740-1234567890abcdef1234567890abcdef"


def check(cond, msg):
    """Records a failure (and prints it) unless cond holds."""
    if not cond:
        FAILURES.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def eq(got, want, what):
    return check(got == want, "%s = %r, want %r" % (what, got, want))


def md5_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data).hexdigest()


def _lp(b):
    return struct.pack(">I", len(b)) + b


def md5_of_attributes(attrs):
    """MD5OfMessageAttributes as SQS computes it. attrs maps names to
    {"DataType", "StringValue" | "BinaryValue" (bytes)}."""
    buf = b""
    for name in sorted(attrs):
        v = attrs[name]
        buf += _lp(name.encode("utf-8")) + _lp(v["DataType"].encode("utf-8"))
        if "StringValue" in v:
            buf += b"\x01" + _lp(v["StringValue"].encode("utf-8"))
        else:
            bv = v["BinaryValue"]
            if isinstance(bv, str):
                bv = bv.encode("utf-8")
            buf += b"\x02" + _lp(bv)
    return hashlib.md5(buf).hexdigest()


def finish(name):
    if FAILURES:
        print("%s: %d check(s) failed" % (name, len(FAILURES)), flush=True)
        sys.exit(1)
    print("%s: all checks passed" % name, flush=True)

"""Drives Herald with the aws CLI: the core SQS flows, checked against AWS's
behaviour.

    python3 cli_flow.py ENDPOINT PROTOCOL SUFFIX AWS_COMMAND...

AWS_COMMAND is the exact CLI to run (e.g. /usr/bin/aws, or
/path/to/python3 -m awscli); PROTOCOL the SQS protocol it must speak ("json"
or "query"), checked from its --debug output. Exits non-zero on any
mismatch.
"""

import base64
import json
import subprocess
import sys

from sqscheck import (S3_EVENT_BODY, UUID_RE, check, eq, finish, md5_hex,
                      md5_of_attributes)

endpoint, want_protocol, suffix = sys.argv[1], sys.argv[2], sys.argv[3]
aws = sys.argv[4:]

version = subprocess.run(aws + ["--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
version = (version.stdout + version.stderr).strip()
major = 2 if version.startswith("aws-cli/2.") else 1
print("%s: %s" % (" ".join(aws), version), flush=True)

common = ["--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"]
if major == 2:
    # v2 reads blob arguments as base64 by default; v1 as raw text.
    common += ["--cli-binary-format", "base64"]


def run(*args, ok=True, debug=False):
    """Runs "aws sqs ARGS"; returns (exit code, parsed JSON output, stderr)."""
    argv = aws + ["sqs"] + list(args) + common + (["--debug"] if debug else [])
    p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    out = None
    if p.stdout.strip():
        try:
            out = json.loads(p.stdout)
        except ValueError:
            check(False, "%s: output is not JSON: %r" % (args[0], p.stdout[:200]))
    if ok and p.returncode != 0:
        print("FAIL: aws sqs %s exited %d: %s" % (args[0], p.returncode, p.stderr.strip()[-500:]), flush=True)
        sys.exit(1)
    return p.returncode, out or {}, p.stderr


def want_error(code, *args):
    rc, _, err = run(*args, ok=False)
    check(rc != 0, "aws sqs %s succeeded, want error %s" % (args[0], code))
    check("An error occurred (%s)" % code in err, "aws sqs %s: stderr %r lacks error code %s" % (args[0], err.strip()[-300:], code))


# CLI start-up costs about a second per command, so this covers the core
# flows in few commands; boto3_flow.py covers more in the same protocols.

# --- create the queue; which protocol does this CLI speak? ------------------
name = "cli-std-" + suffix
_, created, dbg = run("create-queue", "--queue-name", name, debug=True)
req = [l for l in dbg.splitlines() if "Making request for OperationModel(name=CreateQueue)" in l]
if not req:
    print("FAIL: no request line in --debug output")
    sys.exit(2)
if "'X-Amz-Target': 'AmazonSQS.CreateQueue'" in req[0] and "application/x-amz-json-1.0" in req[0]:
    protocol = "json"
elif "application/x-www-form-urlencoded" in req[0] and "'Action': 'CreateQueue'" in req[0]:
    protocol = "query"
else:
    protocol = "unknown: " + req[0][:300]
print("protocol: " + protocol, flush=True)
if protocol != want_protocol:
    print("FAIL: this CLI speaks %s, the test expects %s" % (protocol, want_protocol))
    sys.exit(2)
url = created["QueueUrl"]
check(url.endswith("/000000000000/" + name), "QueueUrl %r" % url)
eq(run("get-queue-url", "--queue-name", name)[1].get("QueueUrl"), url, "get-queue-url")

# --- send with attributes, receive with everything -------------------------
raw_bin = b"binary \x00\x01 bytes"
msg_attrs = {
    "str": {"DataType": "String", "StringValue": "hello"},
    "num": {"DataType": "Number.float", "StringValue": "3.14"},
}
if major == 2:
    msg_attrs_arg = dict(msg_attrs, bin={"DataType": "Binary", "BinaryValue": base64.b64encode(raw_bin).decode()})
    msg_attrs = dict(msg_attrs, bin={"DataType": "Binary", "BinaryValue": raw_bin})
else:
    # v1 passes a blob argument's text through as raw bytes; keep it ASCII.
    msg_attrs_arg = dict(msg_attrs, bin={"DataType": "Binary", "BinaryValue": "raw text bytes"})
    msg_attrs = dict(msg_attrs, bin={"DataType": "Binary", "BinaryValue": b"raw text bytes"})
body = "cli body ünïcode"
sent = run("send-message", "--queue-url", url, "--message-body", body,
           "--message-attributes", json.dumps(msg_attrs_arg))[1]
eq(sent.get("MD5OfMessageBody"), md5_hex(body), "send-message MD5OfMessageBody")
eq(sent.get("MD5OfMessageAttributes"), md5_of_attributes(msg_attrs), "send-message MD5OfMessageAttributes")
check(UUID_RE.match(sent.get("MessageId", "")), "MessageId %r" % sent.get("MessageId"))

got = run("receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All",
          "--max-number-of-messages", "10", "--wait-time-seconds", "5")[1]
msgs = got.get("Messages", [])
first = None
if eq(len(msgs), 1, "received messages"):
    first = m = msgs[0]
    eq((m.get("MessageId"), m.get("Body")), (sent.get("MessageId"), body), "received message")
    eq(m.get("MD5OfBody"), md5_hex(body), "received MD5OfBody")
    recv_attrs = m.get("MessageAttributes", {})
    if "bin" in recv_attrs:
        recv_attrs["bin"]["BinaryValue"] = base64.b64decode(recv_attrs["bin"]["BinaryValue"])
    eq(recv_attrs, msg_attrs, "received MessageAttributes")
    eq(m.get("MD5OfMessageAttributes"), md5_of_attributes(msg_attrs), "received MD5OfMessageAttributes")
    eq(sorted(m.get("Attributes", {})), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
                                          "SenderId", "SentTimestamp"], "system attributes")

# --- batches, with the S3 event of seed 002 ------------------------------------
entries = [{"Id": "m%d" % i, "MessageBody": "batch %d" % i} for i in range(2)]
entries.append({"Id": "s3", "MessageBody": S3_EVENT_BODY})
entries.append({"Id": "bad", "MessageBody": "x", "DelaySeconds": 901})
rc, res, _ = run("send-message-batch", "--queue-url", url, "--entries", json.dumps(entries), ok=False)
eq(sorted(e["Id"] for e in res.get("Successful", [])), ["m0", "m1", "s3"], "send-message-batch Successful")
eq([(e["Id"], e["Code"], e["SenderFault"]) for e in res.get("Failed", [])], [("bad", "InvalidParameterValue", True)],
   "send-message-batch Failed")
received = []
for _ in range(5):
    if len(received) >= 3:
        break
    received += run("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                    "--attribute-names", "All", "--wait-time-seconds", "1")[1].get("Messages", [])
eq(sorted(m["Body"] for m in received), sorted(["batch 0", "batch 1", S3_EVENT_BODY]), "batch bodies")
for m in received:
    if m["Body"] == S3_EVENT_BODY:
        eq(sorted(m), ["Attributes", "Body", "MD5OfBody", "MessageId", "ReceiptHandle"], "S3 message keys")
        eq(sorted(m["Attributes"]), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
                                     "SenderId", "SentTimestamp"], "S3 message attributes")
        eq(m["MD5OfBody"], md5_hex(S3_EVENT_BODY), "S3 MD5OfBody")
if first:
    received.append(first)
dels = [{"Id": "d%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
dels.append({"Id": "bogus", "ReceiptHandle": "not-a-receipt-handle"})
rc, res, _ = run("delete-message-batch", "--queue-url", url, "--entries", json.dumps(dels), ok=False)
eq(len(res.get("Successful", [])), len(received), "delete-message-batch Successful")
eq([(e["Id"], e["Code"]) for e in res.get("Failed", [])], [("bogus", "ReceiptHandleIsInvalid")], "delete-message-batch Failed")

# --- FIFO -------------------------------------------------------------------------
fifo = run("create-queue", "--queue-name", "cli-fifo-" + suffix + ".fifo",
           "--attributes", "FifoQueue=true,ContentBasedDeduplication=false")[1]["QueueUrl"]
ids = []
for b, dedup in (("f1", "dedup-f1"), ("f2", "dedup-f2"), ("dup", "dedup-f1")):
    ids.append(run("send-message", "--queue-url", fifo, "--message-body", b, "--message-group-id", "g",
                   "--message-deduplication-id", dedup)[1].get("MessageId"))
eq(ids[2], ids[0], "duplicate MessageId")
msgs = run("receive-message", "--queue-url", fifo, "--max-number-of-messages", "10", "--attribute-names", "All")[1].get("Messages", [])
eq([m["Body"] for m in msgs], ["f1", "f2"], "FIFO order")
eq([m["Attributes"].get("MessageGroupId") for m in msgs], ["g", "g"], "FIFO MessageGroupId")

# --- delete; errors -----------------------------------------------------------------
run("delete-queue", "--queue-url", url)
want_error("AWS.SimpleQueueService.NonExistentQueue", "get-queue-url", "--queue-name", name)

finish("%s (%s)" % (version.split()[0], protocol))

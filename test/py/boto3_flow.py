"""Drives Herald with boto3: the core SQS flows, checked against AWS's
behaviour. Run with the interpreter whose boto3 is under test:

    python3 boto3_flow.py ENDPOINT PROTOCOL SUFFIX

PROTOCOL is the SQS protocol this boto3 must speak ("json" or "query");
SUFFIX makes the queue names unique. Exits non-zero on any mismatch.
botocore does not check SQS MD5 digests itself, so this script does.
"""

import json
import sys
import time

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from sqscheck import (S3_EVENT_BODY, S3_EVENT_KEY, UUID_RE, check, eq, finish,
                      md5_hex, md5_of_attributes)

endpoint, want_protocol, suffix = sys.argv[1], sys.argv[2], sys.argv[3]

sqs = boto3.client(
    "sqs",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
protocol = sqs.meta.service_model.protocol
print("boto3 %s botocore %s python %s: protocol %s" % (
    boto3.__version__, botocore.__version__, sys.version.split()[0], protocol), flush=True)
if protocol != want_protocol:
    print("FAIL: this boto3 speaks %s, the test expects %s" % (protocol, want_protocol))
    sys.exit(2)


def error_of(fn, **kw):
    """Calls fn, returns (code, HTTP status, message) of its ClientError."""
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        return err.get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message")
    return None, 200, None


def check_message_md5s(m, what):
    eq(m.get("MD5OfBody"), md5_hex(m["Body"]), what + " MD5OfBody")
    attrs = m.get("MessageAttributes")
    if attrs:
        eq(m.get("MD5OfMessageAttributes"), md5_of_attributes(attrs), what + " MD5OfMessageAttributes")
    else:
        check("MD5OfMessageAttributes" not in m, what + " has MD5OfMessageAttributes without attributes")


# --- queue lifecycle -------------------------------------------------------
name = "py-std-" + suffix
url = sqs.create_queue(QueueName=name)["QueueUrl"]
check(url.endswith("/000000000000/" + name), "QueueUrl %r" % url)
eq(sqs.create_queue(QueueName=name)["QueueUrl"], url, "idempotent CreateQueue")
eq(sqs.get_queue_url(QueueName=name)["QueueUrl"], url, "GetQueueUrl")
listed = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
eq(listed, [url], "ListQueues(prefix)")
code, status, _ = error_of(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "7"})
eq((code, status), ("QueueAlreadyExists", 400), "CreateQueue with other attributes")

attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
for k, v in {"VisibilityTimeout": "30", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
             "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0",
             "QueueArn": "arn:aws:sqs:us-east-1:000000000000:" + name}.items():
    eq(attrs.get(k), v, "queue attribute " + k)

# --- send with attributes, receive with everything -------------------------
msg_attrs = {
    "str": {"DataType": "String", "StringValue": "hello wörld"},
    "num": {"DataType": "Number", "StringValue": "42"},
    "flt": {"DataType": "Number.float", "StringValue": "4563442423554324324264524243.32543234"},
    "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01binary\xff"},
    "custom": {"DataType": "String.custom", "StringValue": "c"},
}
body = "body with <xml> & \"quotes\" and ünïcode \U0001F600"
sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=msg_attrs)
eq(sent.get("MD5OfMessageBody"), md5_hex(body), "SendMessage MD5OfMessageBody")
eq(sent.get("MD5OfMessageAttributes"), md5_of_attributes(msg_attrs), "SendMessage MD5OfMessageAttributes")
check(UUID_RE.match(sent.get("MessageId", "")), "MessageId %r is not a UUID" % sent.get("MessageId"))

got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"],
                          MaxNumberOfMessages=10, WaitTimeSeconds=5)
msgs = got.get("Messages", [])
if eq(len(msgs), 1, "messages received"):
    m = msgs[0]
    eq(m["MessageId"], sent["MessageId"], "received MessageId")
    eq(m["Body"], body, "received Body")
    check_message_md5s(m, "received message")
    eq(m.get("MessageAttributes"), msg_attrs, "received MessageAttributes")
    eq(sorted(m.get("Attributes", {})), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
                                          "SenderId", "SentTimestamp"], "system attribute names")
    eq(m["Attributes"].get("ApproximateReceiveCount"), "1", "ApproximateReceiveCount")
    now_ms = time.time() * 1000
    for k in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
        v = m["Attributes"].get(k, "")
        check(v.isdigit() and abs(int(v) - now_ms) < 60000, "%s = %r is not epoch ms near now" % (k, v))
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

# Filtered message attributes: the digest covers only what is returned.
sqs.send_message(QueueUrl=url, MessageBody="filtered", MessageAttributes=msg_attrs)
got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["str", "num", "missing"], WaitTimeSeconds=5)
msgs = got.get("Messages", [])
if eq(len(msgs), 1, "filtered receive count"):
    eq(sorted(msgs[0].get("MessageAttributes", {})), ["num", "str"], "filtered attribute names")
    check_message_md5s(msgs[0], "filtered message")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])

# --- batches ------------------------------------------------------------------
entries = [{"Id": "m%d" % i, "MessageBody": "batch %d" % i} for i in range(3)]
entries.append({"Id": "bad", "MessageBody": "x", "DelaySeconds": 901})
res = sqs.send_message_batch(QueueUrl=url, Entries=entries)
eq(sorted(e["Id"] for e in res.get("Successful", [])), ["m0", "m1", "m2"], "SendMessageBatch Successful ids")
for e in res.get("Successful", []):
    eq(e.get("MD5OfMessageBody"), md5_hex("batch " + e["Id"][1:]), "batch entry %s MD5" % e["Id"])
failed = res.get("Failed", [])
if eq(len(failed), 1, "SendMessageBatch Failed count"):
    eq((failed[0]["Id"], failed[0]["Code"], failed[0]["SenderFault"]), ("bad", "InvalidParameterValue", True),
       "failed batch entry")
code, status, _ = error_of(sqs.send_message_batch, QueueUrl=url,
                           Entries=[{"Id": "i%d" % i, "MessageBody": "x"} for i in range(11)])
eq((code, status), ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400), "11 batch entries")
code, status, _ = error_of(sqs.send_message_batch, QueueUrl=url,
                           Entries=[{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}])
eq((code, status), ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400), "duplicate batch ids")

received = []
deadline = time.time() + 10
while len(received) < 3 and time.time() < deadline:
    received += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
eq(sorted(m["Body"] for m in received), ["batch 0", "batch 1", "batch 2"], "batch bodies received")
dels = [{"Id": "d%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
dels.append({"Id": "bogus", "ReceiptHandle": "not-a-receipt-handle"})
res = sqs.delete_message_batch(QueueUrl=url, Entries=dels)
eq(sorted(e["Id"] for e in res.get("Successful", [])), sorted(d["Id"] for d in dels[:-1]), "DeleteMessageBatch Successful")
failed = res.get("Failed", [])
if eq(len(failed), 1, "DeleteMessageBatch Failed count"):
    eq((failed[0]["Id"], failed[0]["Code"], failed[0]["SenderFault"]), ("bogus", "ReceiptHandleIsInvalid", True),
       "failed delete entry")
attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                              "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
eq(attrs, {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}, "counts after deletes")

# An empty queue: the response has no Messages key at all (seed 002).
got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])
check("Messages" not in got, "empty receive has a Messages key: %r" % got.get("Messages"))
eq(got["ResponseMetadata"]["HTTPStatusCode"], 200, "empty receive status")

# --- errors -------------------------------------------------------------------
code, status, msg = error_of(sqs.get_queue_url, QueueName="py-missing-" + suffix)
eq((code, status), ("AWS.SimpleQueueService.NonExistentQueue", 400), "GetQueueUrl of a missing queue")
try:
    sqs.get_queue_url(QueueName="py-missing-" + suffix)
    check(False, "GetQueueUrl of a missing queue succeeded")
except sqs.exceptions.QueueDoesNotExist:
    pass
except ClientError as e:
    check(False, "missing queue raised %r, not sqs.exceptions.QueueDoesNotExist" % e)
code, status, _ = error_of(sqs.send_message, QueueUrl=url, MessageBody="\x00")
eq((code, status), ("InvalidMessageContents", 400), "invalid body characters")
code, status, _ = error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
eq((code, status), ("InvalidParameterValue", 400), "MaxNumberOfMessages 11")
code, status, _ = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Bogus"])
eq((code, status), ("InvalidAttributeName", 400), "unknown queue attribute")
sqs.purge_queue(QueueUrl=url)
code, status, _ = error_of(sqs.purge_queue, QueueUrl=url)
eq((code, status), ("AWS.SimpleQueueService.PurgeQueueInProgress", 403), "second PurgeQueue")

# --- S3 event notification (seed 002) ------------------------------------------
s3q = sqs.create_queue(QueueName="py-s3-" + suffix)["QueueUrl"]
sent = sqs.send_message(QueueUrl=s3q, MessageBody=S3_EVENT_BODY)
resp = sqs.receive_message(QueueUrl=s3q, AttributeNames=["All"], WaitTimeSeconds=5)
check(set(resp) == {"Messages", "ResponseMetadata"}, "S3 receive response keys %r" % sorted(resp))
rm = resp["ResponseMetadata"]
check(UUID_RE.match(rm.get("RequestId", "")), "RequestId %r is not a UUID" % rm.get("RequestId"))
eq(rm.get("HTTPStatusCode"), 200, "S3 receive HTTPStatusCode")
msgs = resp.get("Messages", [])
if eq(len(msgs), 1, "S3 event messages"):
    m = msgs[0]
    eq(sorted(m), ["Attributes", "Body", "MD5OfBody", "MessageId", "ReceiptHandle"], "S3 message keys")
    check(UUID_RE.match(m["MessageId"]), "MessageId %r is not a UUID" % m["MessageId"])
    eq(m["MessageId"], sent["MessageId"], "S3 MessageId")
    eq(m["Body"], S3_EVENT_BODY, "S3 Body")
    eq(m["MD5OfBody"], md5_hex(S3_EVENT_BODY), "S3 MD5OfBody")
    check(len(m["MD5OfBody"]) == 32, "MD5OfBody is not 32 hex digits")
    check(isinstance(m["ReceiptHandle"], str) and m["ReceiptHandle"], "ReceiptHandle")
    eq(sorted(m["Attributes"]), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
                                 "SenderId", "SentTimestamp"], "S3 Attributes keys")
    eq(m["Attributes"]["ApproximateReceiveCount"], "1", "S3 ApproximateReceiveCount")
    for k in ("ApproximateFirstReceiveTimestamp", "SentTimestamp"):
        check(m["Attributes"][k].isdigit() and len(m["Attributes"][k]) == 13, "%s = %r is not epoch ms" % (k, m["Attributes"][k]))
    rec = json.loads(m["Body"])["Records"][0]["s3"]["object"]
    eq(rec["key"], S3_EVENT_KEY, "S3 object key")
    eq(rec["size"], 11805, "S3 object size")
    sqs.delete_message(QueueUrl=s3q, ReceiptHandle=m["ReceiptHandle"])

# --- FIFO -------------------------------------------------------------------------
fifo = sqs.create_queue(QueueName="py-fifo-" + suffix + ".fifo",
                        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
seqs, ids = [], []
for b in ("f1", "f2", "f3"):
    r = sqs.send_message(QueueUrl=fifo, MessageBody=b, MessageGroupId="grp")
    seqs.append(int(r["SequenceNumber"]))
    ids.append(r["MessageId"])
check(seqs == sorted(seqs) and len(set(seqs)) == 3, "SequenceNumbers %r not increasing" % seqs)
dup = sqs.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="grp")
eq(dup["MessageId"], ids[0], "content-based duplicate MessageId")
code, status, _ = error_of(sqs.send_message, QueueUrl=fifo, MessageBody="nogroup")
eq((code, status), ("MissingParameter", 400), "FIFO send without MessageGroupId")
got = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=2)
msgs = got.get("Messages", [])
eq([m["Body"] for m in msgs], ["f1", "f2", "f3"], "FIFO order")
if msgs:
    a = msgs[0]["Attributes"]
    eq((a.get("MessageGroupId"), int(a.get("SequenceNumber", "-1"))), ("grp", seqs[0]), "FIFO system attributes")
    check("MessageDeduplicationId" in a, "no MessageDeduplicationId attribute")
eq(sqs.receive_message(QueueUrl=fifo).get("Messages", []), [], "FIFO group locked while in flight")
res = sqs.delete_message_batch(QueueUrl=fifo, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                       for i, m in enumerate(msgs)])
eq(len(res.get("Successful", [])), len(msgs), "FIFO batch delete")

# --- clean up ------------------------------------------------------------------
for q in (url, s3q, fifo):
    sqs.delete_queue(QueueUrl=q)
code, status, _ = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
eq((code, status), ("AWS.SimpleQueueService.NonExistentQueue", 400), "deleted queue")

finish("boto3 %s (%s)" % (boto3.__version__, protocol))

"""Drives Herald's SNS API with boto3 (SNS speaks Query/XML in every boto3)
and receives what topics deliver with boto3's SQS client:

    python3 sns_boto3_flow.py ENDPOINT SUFFIX

SUFFIX makes topic and queue names unique. Exits non-zero on any mismatch.
"""

import base64
import json
import re
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from sqscheck import UUID_RE, check, eq, finish, md5_hex, md5_of_attributes

endpoint, suffix = sys.argv[1], sys.argv[2]

kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDTEST",
          aws_secret_access_key="secret", config=Config(retries={"max_attempts": 1}))
sns = boto3.client("sns", **kw)
sqs = boto3.client("sqs", **kw)
print("boto3 %s botocore %s python %s: sns protocol %s, sqs protocol %s" % (
    boto3.__version__, botocore.__version__, sys.version.split()[0],
    sns.meta.service_model.protocol, sqs.meta.service_model.protocol), flush=True)
eq(sns.meta.service_model.protocol, "query", "SNS protocol")


def error_of(fn, **kw):
    """Calls fn, returns (code, HTTP status, message) of its ClientError."""
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        return err.get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message")
    return None, 200, None


def queue(name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # The policy AWS requires for SNS to deliver into the queue.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:000000000000:*"}}}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    return url, arn


def receive(url, n):
    got = []
    for _ in range(10):
        if len(got) >= n:
            break
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                   MessageAttributeNames=["All"], AttributeNames=["All"])
        for m in resp.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m)
    eq(len(got), n, "messages received from %s" % url.rsplit("/", 1)[-1])
    return got


# --- topic and subscriptions ----------------------------------------------------
name = "py-sns-" + suffix
topic = sns.create_topic(Name=name)["TopicArn"]
eq(topic, "arn:aws:sns:us-east-1:000000000000:" + name, "TopicArn")
eq(sns.create_topic(Name=name)["TopicArn"], topic, "idempotent CreateTopic")
code, status, msg = error_of(sns.create_topic, Name="bad name " + suffix)
eq((code, status, msg), ("InvalidParameter", 400, "Invalid parameter: Topic Name"), "CreateTopic with a bad name")

env_url, env_arn = queue("py-sns-env-" + suffix)
raw_url, raw_arn = queue("py-sns-raw-" + suffix)
env_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=env_arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
raw_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
for s in (env_sub, raw_sub):
    check(s.startswith(topic + ":") and UUID_RE.match(s[len(topic) + 1:]), "SubscriptionArn %r" % s)

# --- listings and attributes ---------------------------------------------------------
topics = []
for page in sns.get_paginator("list_topics").paginate():
    topics += [t["TopicArn"] for t in page.get("Topics", [])]
check(topic in topics, "ListTopics lacks %s" % topic)
by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
eq(sorted((s["SubscriptionArn"], s["Protocol"], s["Endpoint"], s["TopicArn"], s["Owner"]) for s in by_topic),
   sorted([(env_sub, "sqs", env_arn, topic, "000000000000"), (raw_sub, "sqs", raw_arn, topic, "000000000000")]),
   "ListSubscriptionsByTopic")
all_subs = []
for page in sns.get_paginator("list_subscriptions").paginate():
    all_subs += [s["SubscriptionArn"] for s in page.get("Subscriptions", [])]
check(env_sub in all_subs and raw_sub in all_subs, "ListSubscriptions lacks this flow's subscriptions")

attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
for k, v in {"TopicArn": topic, "Owner": "000000000000", "SubscriptionsConfirmed": "2",
             "SubscriptionsPending": "0", "DisplayName": ""}.items():
    eq(attrs.get(k), v, "topic attribute " + k)
check(json.loads(attrs.get("Policy", "null")) is not None, "no Policy attribute")
sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Py Topic")
eq(sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName"), "Py Topic", "DisplayName after set")
sub_attrs = sns.get_subscription_attributes(SubscriptionArn=raw_sub)["Attributes"]
eq((sub_attrs.get("RawMessageDelivery"), sub_attrs.get("Protocol"), sub_attrs.get("Endpoint"),
    sub_attrs.get("PendingConfirmation")), ("true", "sqs", raw_arn, "false"), "raw subscription attributes")

# --- publish with attributes; receive through SQS -------------------------------------
bin_value = b"\x00\x01binary\xff"
msg_attrs = {
    "str": {"DataType": "String", "StringValue": "hello w\u00f6rld"},
    "num": {"DataType": "Number", "StringValue": "42"},
    "bin": {"DataType": "Binary", "BinaryValue": bin_value},
}
message = "py message <with> & \"quotes\" \U0001F600"
pub = sns.publish(TopicArn=topic, Message=message, Subject="Py subject", MessageAttributes=msg_attrs)
check(UUID_RE.match(pub.get("MessageId", "")), "Publish MessageId %r" % pub.get("MessageId"))

for m in receive(env_url, 1):
    env = json.loads(m["Body"])
    eq((env.get("Type"), env.get("MessageId"), env.get("TopicArn"), env.get("Subject"), env.get("Message")),
       ("Notification", pub.get("MessageId"), topic, "Py subject", message), "envelope fields")
    eq(env.get("SignatureVersion"), "1", "SignatureVersion")
    check(env.get("Signature"), "empty Signature")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", env.get("Timestamp", "")), "Timestamp %r" % env.get("Timestamp"))
    check(env.get("UnsubscribeURL", "").endswith("Action=Unsubscribe&SubscriptionArn=" + env_sub), "UnsubscribeURL %r" % env.get("UnsubscribeURL"))
    eq(env.get("MessageAttributes"), {
        "str": {"Type": "String", "Value": "hello w\u00f6rld"},
        "num": {"Type": "Number", "Value": "42"},
        "bin": {"Type": "Binary", "Value": base64.b64encode(bin_value).decode()},
    }, "envelope MessageAttributes")
    check("MessageAttributes" not in m, "enveloped delivery has SQS message attributes")

for m in receive(raw_url, 1):
    eq(m["Body"], message, "raw body")
    eq(m.get("MD5OfBody"), md5_hex(message), "raw MD5OfBody")
    eq(m.get("MessageAttributes"), msg_attrs, "raw delivery SQS message attributes")
    eq(m.get("MD5OfMessageAttributes"), md5_of_attributes(msg_attrs), "raw MD5OfMessageAttributes")

batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
    {"Id": "one", "Message": "batch one"}, {"Id": "two", "Message": "batch two"}, {"Id": "bad", "Message": ""}])
eq(sorted(e["Id"] for e in batch.get("Successful", [])), ["one", "two"], "PublishBatch Successful")
eq([(e["Id"], e["Code"], e["SenderFault"]) for e in batch.get("Failed", [])], [("bad", "InvalidParameter", True)],
   "PublishBatch Failed")
eq(sorted(m["Body"] for m in receive(raw_url, 2)), ["batch one", "batch two"], "batch raw bodies")
eq(sorted(json.loads(m["Body"])["Message"] for m in receive(env_url, 2)), ["batch one", "batch two"], "batch envelopes")

# --- errors ------------------------------------------------------------------------------
missing = "arn:aws:sns:us-east-1:000000000000:py-missing-" + suffix
code, status, msg = error_of(sns.publish, TopicArn=missing, Message="x")
eq((code, status, msg), ("NotFound", 404, "Topic does not exist"), "Publish to a missing topic")
try:
    sns.get_topic_attributes(TopicArn=missing)
    check(False, "GetTopicAttributes of a missing topic succeeded")
except sns.exceptions.NotFoundException:
    pass
except ClientError as e:
    check(False, "missing topic raised %r, not sns.exceptions.NotFoundException" % e)
code, status, msg = error_of(sns.set_subscription_attributes, SubscriptionArn=raw_sub,
                             AttributeName="RawMessageDelivery", AttributeValue="maybe")
eq((code, status, msg), ("InvalidParameter", 400, "Invalid parameter: RawMessageDelivery: Invalid value [maybe]. Must be true or false."),
   "bad RawMessageDelivery")
code, status, msg = error_of(sns.publish, TopicArn=topic, Message="")
eq((code, status, msg), ("InvalidParameter", 400, "Invalid parameter: Empty message"), "empty message")

# --- clean up ------------------------------------------------------------------------------
sns.unsubscribe(SubscriptionArn=env_sub)
code, status, _ = error_of(sns.get_subscription_attributes, SubscriptionArn=env_sub)
eq((code, status), ("NotFound", 404), "unsubscribed subscription")
sns.delete_topic(TopicArn=topic)
code, status, _ = error_of(sns.get_subscription_attributes, SubscriptionArn=raw_sub)
eq((code, status), ("NotFound", 404), "subscription of a deleted topic")
for u in (env_url, raw_url):
    sqs.delete_queue(QueueUrl=u)

finish("boto3 %s (SNS over %s)" % (boto3.__version__, sns.meta.service_model.protocol))

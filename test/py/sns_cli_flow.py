"""Drives Herald's SNS API with the aws CLI:

    python3 sns_cli_flow.py ENDPOINT SUFFIX AWS_COMMAND...

AWS_COMMAND is the exact CLI to run (e.g. /usr/bin/aws, or
/path/to/python3 -m awscli). Exits non-zero on any mismatch.
"""

import json
import subprocess
import sys

from sqscheck import UUID_RE, check, eq, finish

endpoint, suffix = sys.argv[1], sys.argv[2]
aws = sys.argv[3:]

common = ["--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"]


def start(service, *args, debug=False):
    argv = aws + [service] + list(args) + common + (["--debug"] if debug else [])
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def result(p, what, ok=True):
    """Waits for p; returns (exit code, parsed JSON output, stderr)."""
    out, err = p.communicate(timeout=60)
    parsed = None
    if out.strip():
        try:
            parsed = json.loads(out)
        except ValueError:
            check(False, "%s: output is not JSON: %r" % (what, out[:200]))
    if ok and p.returncode != 0:
        print("FAIL: aws %s exited %d: %s" % (what, p.returncode, err.strip()[-500:]), flush=True)
        sys.exit(1)
    return p.returncode, parsed or {}, err


def run(service, *args, debug=False):
    """Runs "aws SERVICE ARGS" and returns its parsed JSON output."""
    return result(start(service, *args, debug=debug), service + " " + args[0])[1]


def want_error(p, code, what):
    rc, _, err = result(p, what, ok=False)
    check(rc != 0, "aws %s succeeded, want error %s" % (what, code))
    check("An error occurred (%s)" % code in err, "aws %s: stderr %r lacks error code %s" % (what, err.strip()[-300:], code))


# CLI start-up costs a second or two of CPU a command: this runs few
# commands (boto3 covers more) and runs independent ones side by side.
name = "cli-sns-" + suffix
qname = "cli-sns-q-" + suffix
p_topic = start("sns", "create-topic", "--name", name, debug=True)
p_queue = start("sqs", "create-queue", "--queue-name", qname)
_, created, dbg = result(p_topic, "sns create-topic")
qurl = result(p_queue, "sqs create-queue")[1]["QueueUrl"]
version = ([l.split("CLI version: ", 1)[1] for l in dbg.splitlines() if "CLI version: " in l] or ["aws-cli/?"])[0]
print("%s: %s" % (" ".join(aws), version), flush=True)
req = [l for l in dbg.splitlines() if "Making request for OperationModel(name=CreateTopic)" in l]
check(req and "'Action': 'CreateTopic'" in req[0], "create-topic did not send a Query request: %r" % (req[:1],))
topic = created.get("TopicArn")
eq(topic, "arn:aws:sns:us-east-1:000000000000:" + name, "create-topic TopicArn")
qarn = "arn:aws:sqs:us-east-1:000000000000:" + qname
# The queue policy AWS requires before SNS may deliver into the queue.
policy = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
    "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})
run("sqs", "set-queue-attributes", "--queue-url", qurl, "--attributes", json.dumps({"Policy": policy}))

sub = run("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", qarn,
          "--return-subscription-arn").get("SubscriptionArn", "")
check(sub.startswith(topic + ":"), "SubscriptionArn %r" % sub)

attrs = {"color": {"DataType": "String", "StringValue": "red"}, "size": {"DataType": "Number", "StringValue": "3"}}
pub = run("sns", "publish", "--topic-arn", topic, "--message", "cli message \u00fcn\u00efcode", "--subject", "CLI subject",
          "--message-attributes", json.dumps(attrs))
check(UUID_RE.match(pub.get("MessageId", "")), "publish MessageId %r" % pub.get("MessageId"))

missing = "arn:aws:sns:us-east-1:000000000000:cli-missing-" + suffix
ps = {
    "receive": start("sqs", "receive-message", "--queue-url", qurl, "--wait-time-seconds", "5", "--max-number-of-messages", "10"),
    "topics": start("sns", "list-topics"),
    "by-topic": start("sns", "list-subscriptions-by-topic", "--topic-arn", topic),
    "attrs": start("sns", "get-topic-attributes", "--topic-arn", topic),
    "missing": start("sns", "publish", "--topic-arn", missing, "--message", "x"),
}
msgs = result(ps["receive"], "sqs receive-message")[1].get("Messages", [])
if eq(len(msgs), 1, "messages received"):
    env = json.loads(msgs[0]["Body"])
    eq((env.get("Type"), env.get("MessageId"), env.get("TopicArn"), env.get("Subject"), env.get("Message")),
       ("Notification", pub.get("MessageId"), topic, "CLI subject", "cli message \u00fcn\u00efcode"), "envelope fields")
    eq(env.get("MessageAttributes"), {"color": {"Type": "String", "Value": "red"}, "size": {"Type": "Number", "Value": "3"}},
       "envelope MessageAttributes")
    check(env.get("Signature") and env.get("SignatureVersion") == "1", "envelope is not signed")
topics = [t["TopicArn"] for t in result(ps["topics"], "sns list-topics")[1].get("Topics", [])]
check(topic in topics, "list-topics lacks %s" % topic)
subs = result(ps["by-topic"], "sns list-subscriptions-by-topic")[1].get("Subscriptions", [])
eq([(s.get("SubscriptionArn"), s.get("Protocol"), s.get("Endpoint")) for s in subs], [(sub, "sqs", qarn)],
   "list-subscriptions-by-topic")
ta = result(ps["attrs"], "sns get-topic-attributes")[1].get("Attributes", {})
eq((ta.get("TopicArn"), ta.get("SubscriptionsConfirmed"), ta.get("Owner")), (topic, "1", "000000000000"), "get-topic-attributes")
want_error(ps["missing"], "NotFound", "sns publish to a missing topic")

p_del = start("sns", "delete-topic", "--topic-arn", topic)
p_delq = start("sqs", "delete-queue", "--queue-url", qurl)
result(p_del, "sns delete-topic")
result(p_delq, "sqs delete-queue")

finish(version.split()[0])

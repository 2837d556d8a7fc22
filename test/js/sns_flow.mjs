// Drives Herald's SNS API with the AWS SDK for JavaScript v3
// (@aws-sdk/client-sns, which speaks Query/XML) and receives what the topic
// delivers with @aws-sdk/client-sqs (AWS JSON 1.0):
//
//     node sns_flow.mjs ENDPOINT SUFFIX
//
// Credentials come from the environment (AWS_ACCESS_KEY_ID=AKIDTEST,
// AWS_SECRET_ACCESS_KEY=secret); SUFFIX makes topic and queue names unique.
// Every check prints a line; exits non-zero if any failed.

import {
  SNSClient,
  CreateTopicCommand,
  SubscribeCommand,
  PublishCommand,
  PublishBatchCommand,
  ListTopicsCommand,
  UnsubscribeCommand,
  DeleteTopicCommand,
} from "@aws-sdk/client-sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
} from "@aws-sdk/client-sqs";

import { UUID_RE, check, eq, errorOf, finish, sdkVersion, step } from "./check.mjs";

const [endpoint, suffix] = process.argv.slice(2);
if (!endpoint || !suffix) {
  console.log("usage: node sns_flow.mjs ENDPOINT SUFFIX");
  process.exit(2);
}
const region = "us-east-1";
const version = await sdkVersion("@aws-sdk/client-sns");

// record keeps the last signed request of a client, for the protocol check
// and for diagnosing signature rejections.
function record(c) {
  c.lastRequest = null;
  c.middlewareStack.addRelativeTo(
    (next) => async (args) => {
      c.lastRequest = { method: args.request.method, path: args.request.path, headers: { ...args.request.headers }, body: args.request.body };
      return next(args);
    },
    { name: "heraldRecordRequest", relation: "after", toMiddleware: "httpSigningMiddleware" },
  );
  return c;
}
function snsClient(credentials) {
  return record(new SNSClient({ endpoint, region, maxAttempts: 1, ...(credentials ? { credentials } : {}) }));
}
function dumpRequest(c, what) {
  const r = c.lastRequest;
  if (!r) return;
  console.log(`  ${what}: ${r.method} ${r.path}`);
  for (const [k, v] of Object.entries(r.headers).sort()) console.log(`    ${k}: ${v}`);
  if (typeof r.body === "string") console.log(`    body: ${r.body.slice(0, 300)}`);
}

// The default credential chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
const sns = snsClient();
const sqs = record(new SQSClient({ endpoint, region, maxAttempts: 1 }));
console.log(`@aws-sdk/client-sns ${version} @aws-sdk/client-sqs ${await sdkVersion("@aws-sdk/client-sqs")} node ${process.version}`);

// receive collects n messages from url, deleting each, polling up to ten
// times; it checks it got exactly n unless exact is false (then it polls
// once).
async function receive(url, n, exact = true) {
  const got = [];
  for (let i = 0; i < (exact ? 10 : 1) && got.length < n; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
      MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    }));
    for (const m of r.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      got.push(m);
    }
  }
  if (exact) eq(got.length, n, `messages received from ${url.split("/").pop()}`);
  return got;
}

const name = "js-sns-" + suffix;
let topic, url, arn, sub;

// --- topic, queue with its policy, subscription -----------------------------
await step("topic and subscription", async () => {
  topic = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn;
  const h = sns.lastRequest?.headers ?? {};
  const body = String(sns.lastRequest?.body ?? "");
  check(h["content-type"]?.startsWith("application/x-www-form-urlencoded") && /(^|&)Action=CreateTopic(&|$)/.test(body)
    && h["x-amz-target"] === undefined, `CreateTopic speaks Query (content-type ${h["content-type"]}, body ${body})`);
  check(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/sns\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(h.authorization ?? ""),
    `CreateTopic signed with SigV4 as AKIDTEST (${h.authorization})`);
  eq(topic, `arn:aws:sns:${region}:000000000000:${name}`, "TopicArn");
  eq((await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn, topic, "idempotent CreateTopic");

  url = (await sqs.send(new CreateQueueCommand({ QueueName: "js-sns-q-" + suffix }))).QueueUrl;
  arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn;
  eq(arn, `arn:aws:sqs:${region}:000000000000:js-sns-q-${suffix}`, "QueueArn");
  // The policy AWS requires for SNS to deliver into the queue: only this topic.
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Sid: "topic-" + suffix, Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage",
      Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": topic } },
    }],
  });
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy } }));
  const got = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["Policy"] }))).Attributes?.Policy;
  eq(JSON.parse(got ?? "null"), JSON.parse(policy), "queue Policy read back");

  sub = (await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: "sqs", Endpoint: arn, ReturnSubscriptionArn: true }))).SubscriptionArn;
  check(sub?.startsWith(topic + ":") && UUID_RE.test(sub.slice(topic.length + 1)), `SubscriptionArn ${sub}`);
});
if (!sub) finish(`@aws-sdk/client-sns ${version}`);

// --- publish with attributes and a subject; the envelope through SQS --------
const binValue = Uint8Array.from([0, 1, ...Buffer.from("binary"), 0xff]);
await step("publish", async () => {
  const message = 'js message <with> & "quotes" \u{1F600}';
  const pub = await sns.send(new PublishCommand({
    TopicArn: topic, Message: message, Subject: "JS subject",
    MessageAttributes: {
      str: { DataType: "String", StringValue: "hello wörld" },
      num: { DataType: "Number", StringValue: "42" },
      bin: { DataType: "Binary", BinaryValue: binValue },
    },
  }));
  check(UUID_RE.test(pub.MessageId ?? ""), `Publish MessageId ${pub.MessageId} is a UUID`);
  for (const m of await receive(url, 1)) {
    let env = {};
    try { env = JSON.parse(m.Body); } catch { check(false, `envelope is not JSON: ${m.Body}`); }
    eq([env.Type, env.MessageId, env.TopicArn, env.Subject, env.Message],
      ["Notification", pub.MessageId, topic, "JS subject", message], "envelope Type/MessageId/TopicArn/Subject/Message");
    eq(env.SignatureVersion, "1", "envelope SignatureVersion");
    check(typeof env.Signature === "string" && env.Signature.length > 0, "envelope has a Signature");
    check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(env.Timestamp ?? ""), `envelope Timestamp ${env.Timestamp}`);
    check((env.UnsubscribeURL ?? "").endsWith("Action=Unsubscribe&SubscriptionArn=" + sub), `envelope UnsubscribeURL ${env.UnsubscribeURL}`);
    eq(env.MessageAttributes, {
      str: { Type: "String", Value: "hello wörld" },
      num: { Type: "Number", Value: "42" },
      bin: { Type: "Binary", Value: Buffer.from(binValue).toString("base64") },
    }, "envelope MessageAttributes");
    eq(m.MessageAttributes, undefined, "enveloped delivery has no SQS message attributes");
    // SNS delivers as its own service principal, not as the publisher.
    eq(m.Attributes?.SenderId, "AIDAIT2UOQQY3AUEKVGXU", "delivered message SenderId (SNS's, as in AWS)");
  }
});

await step("publish batch", async () => {
  const batch = await sns.send(new PublishBatchCommand({
    TopicArn: topic,
    PublishBatchRequestEntries: [
      { Id: "one", Message: "batch one", Subject: "first" },
      { Id: "two", Message: "batch two" },
      { Id: "bad", Message: "" },
    ],
  }));
  eq((batch.Successful ?? []).map((e) => e.Id).sort(), ["one", "two"], "PublishBatch Successful");
  for (const e of batch.Successful ?? []) check(UUID_RE.test(e.MessageId ?? ""), `PublishBatch ${e.Id} MessageId ${e.MessageId}`);
  eq((batch.Failed ?? []).map((f) => [f.Id, f.Code, f.SenderFault]), [["bad", "InvalidParameter", true]], "PublishBatch Failed");
  const envs = (await receive(url, 2)).map((m) => JSON.parse(m.Body));
  eq(envs.map((e) => [e.Message, e.Subject, e.TopicArn]).sort(),
    [["batch one", "first", topic], ["batch two", undefined, topic]], "batch envelopes (Message, Subject, TopicArn)");
});

// The queue policy allows only this topic (ArnEquals aws:SourceArn): another
// topic's subscription is accepted, but its deliveries are denied, as in AWS.
await step("policy denies another topic", async () => {
  const other = (await sns.send(new CreateTopicCommand({ Name: name + "-other" }))).TopicArn;
  const otherSub = (await sns.send(new SubscribeCommand({ TopicArn: other, Protocol: "sqs", Endpoint: arn, ReturnSubscriptionArn: true }))).SubscriptionArn;
  await sns.send(new PublishCommand({ TopicArn: other, Message: "denied by the queue policy" }));
  await sns.send(new PublishCommand({ TopicArn: topic, Message: "marker" }));
  // Poll until the marker is there, then once more for stragglers.
  const got = [];
  for (let i = 0; i < 10; i++) {
    const seen = got.some((m) => JSON.parse(m.Body).Message === "marker");
    got.push(...(await receive(url, 1, false)));
    if (seen) break;
  }
  eq(got.map((m) => JSON.parse(m.Body).Message), ["marker"], "only the allowed topic's message arrives");
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: otherSub }));
  await sns.send(new DeleteTopicCommand({ TopicArn: other }));
});

await step("list topics", async () => {
  const topics = [];
  let token;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken: token }));
    topics.push(...(page.Topics ?? []).map((t) => t.TopicArn));
    token = page.NextToken;
  } while (token);
  check(topics.includes(topic), `ListTopics lists ${topic} (${topics.length} topics)`);
});

await step("errors", async () => {
  const e = await errorOf(sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${region}:000000000000:js-missing-${suffix}`, Message: "x" })));
  eq([e.code, e.status, e.message], ["NotFound", 404, "Topic does not exist"], "Publish to a missing topic");
});

// --- authentication -------------------------------------------------------------
await step("wrong secret", async () => {
  const bad = snsClient({ accessKeyId: "AKIDTEST", secretAccessKey: "not-the-secret" });
  const e = await errorOf(bad.send(new ListTopicsCommand({})));
  if (!eq([e.code, e.status], ["SignatureDoesNotMatch", 403], "wrong secret")) dumpRequest(bad, "rejected request");
});
await step("unknown key", async () => {
  const bad = snsClient({ accessKeyId: "AKIDUNKNOWNJS", secretAccessKey: "secret" });
  const e = await errorOf(bad.send(new PublishCommand({ TopicArn: topic, Message: "x" })));
  if (!eq([e.code, e.status], ["InvalidClientTokenId", 403], "unknown access key")) dumpRequest(bad, "rejected request");
});

// --- clean up ---------------------------------------------------------------------
await step("clean up", async () => {
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub }));
  await sns.send(new DeleteTopicCommand({ TopicArn: topic }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  check(true, "Unsubscribe, DeleteTopic, DeleteQueue");
});

finish(`@aws-sdk/client-sns ${version} (SNS over Query)`);

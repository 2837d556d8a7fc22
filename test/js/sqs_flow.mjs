// Drives Herald's SQS API with the AWS SDK for JavaScript v3
// (@aws-sdk/client-sqs, which speaks AWS JSON 1.0 with Query-compatible
// error codes):
//
//     node sqs_flow.mjs ENDPOINT SUFFIX
//
// Credentials come from the environment (AWS_ACCESS_KEY_ID=AKIDTEST,
// AWS_SECRET_ACCESS_KEY=secret); SUFFIX makes the queue names unique. Every
// check prints a line; exits non-zero if any failed. The SDK validates
// MD5OfBody / MD5OfMessageBody itself; this script checks the
// MD5OfMessageAttributes digests too.

import {
  SQSClient,
  CreateQueueCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  DeleteQueueCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
} from "@aws-sdk/client-sqs";

import { UUID_RE, check, eq, errorOf, finish, md5Hex, md5OfAttributes, sdkVersion, step } from "./check.mjs";

const [endpoint, suffix] = process.argv.slice(2);
if (!endpoint || !suffix) {
  console.log("usage: node sqs_flow.mjs ENDPOINT SUFFIX");
  process.exit(2);
}
const region = "us-east-1";
const version = await sdkVersion("@aws-sdk/client-sqs");

// lastRequest is the last signed request of a client, for the protocol
// check and for diagnosing signature rejections.
function client(credentials) {
  const c = new SQSClient({ endpoint, region, maxAttempts: 1, ...(credentials ? { credentials } : {}) });
  c.lastRequest = null;
  c.middlewareStack.addRelativeTo(
    (next) => async (args) => {
      c.lastRequest = { method: args.request.method, path: args.request.path, headers: { ...args.request.headers } };
      return next(args);
    },
    { name: "heraldRecordRequest", relation: "after", toMiddleware: "httpSigningMiddleware" },
  );
  return c;
}

// The default credential chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
const sqs = client();
console.log(`@aws-sdk/client-sqs ${version} node ${process.version}`);

// dumpRequest prints a request's headers, to see what Herald rejected.
function dumpRequest(c, what) {
  const r = c.lastRequest;
  if (!r) return;
  console.log(`  ${what}: ${r.method} ${r.path}`);
  for (const [k, v] of Object.entries(r.headers).sort()) console.log(`    ${k}: ${v}`);
}

function checkMessageMD5s(m, what) {
  eq(m.MD5OfBody, md5Hex(m.Body), `${what} MD5OfBody`);
  if (m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0) {
    eq(m.MD5OfMessageAttributes, md5OfAttributes(m.MessageAttributes), `${what} MD5OfMessageAttributes`);
  } else {
    check(m.MD5OfMessageAttributes === undefined, `${what} has no MD5OfMessageAttributes without attributes`);
  }
}

const name = "js-std-" + suffix;
let url;

// --- queue lifecycle; the protocol this SDK speaks ---------------------------
await step("queue lifecycle", async () => {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const h = sqs.lastRequest?.headers ?? {};
  eq([h["content-type"], h["x-amz-target"]], ["application/x-amz-json-1.0", "AmazonSQS.CreateQueue"],
    "CreateQueue speaks AWS JSON 1.0 (content-type, x-amz-target)");
  check(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/sqs\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(h.authorization ?? ""),
    `CreateQueue signed with SigV4 as AKIDTEST (${h.authorization})`);
  url = created.QueueUrl;
  check(url?.endsWith("/000000000000/" + name), `QueueUrl ${url}`);
  eq((await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl, url, "idempotent CreateQueue");
  eq((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, url, "GetQueueUrl");
  eq((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }))).QueueUrls, [url], "ListQueues(prefix)");
  const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {};
  const want = {
    VisibilityTimeout: "30", MaximumMessageSize: "1048576", MessageRetentionPeriod: "345600", DelaySeconds: "0",
    ReceiveMessageWaitTimeSeconds: "0", QueueArn: `arn:aws:sqs:${region}:000000000000:${name}`,
  };
  for (const [k, v] of Object.entries(want)) eq(attrs[k], v, "queue attribute " + k);
});
if (!url) finish(`@aws-sdk/client-sqs ${version}`);

// --- send with attributes, receive with everything ---------------------------
const binValue = Uint8Array.from([0, 1, ...Buffer.from("binary"), 0xff]);
const msgAttrs = {
  str: { DataType: "String", StringValue: "hello wörld" },
  num: { DataType: "Number", StringValue: "42" },
  flt: { DataType: "Number.float", StringValue: "4563442423554324324264524243.32543234" },
  bin: { DataType: "Binary", BinaryValue: binValue },
  custom: { DataType: "String.custom", StringValue: "c" },
};
const body = 'body with <xml> & "quotes" and ünïcode \u{1F600}';
await step("send and receive with attributes", async () => {
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: msgAttrs }));
  eq(sent.MD5OfMessageBody, md5Hex(body), "SendMessage MD5OfMessageBody (the SDK validated it too)");
  eq(sent.MD5OfMessageAttributes, md5OfAttributes(msgAttrs), "SendMessage MD5OfMessageAttributes");
  check(UUID_RE.test(sent.MessageId ?? ""), `SendMessage MessageId ${sent.MessageId} is a UUID`);

  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: url, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    MaxNumberOfMessages: 10, WaitTimeSeconds: 5,
  }));
  const msgs = got.Messages ?? [];
  if (!eq(msgs.length, 1, "messages received")) return;
  const m = msgs[0];
  eq(m.MessageId, sent.MessageId, "received MessageId");
  eq(m.Body, body, "received Body");
  checkMessageMD5s(m, "received message");
  const recvAttrs = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    recvAttrs[k] = v.BinaryValue !== undefined
      ? { DataType: v.DataType, BinaryValue: Uint8Array.from(v.BinaryValue) }
      : { DataType: v.DataType, StringValue: v.StringValue };
  }
  eq(recvAttrs, msgAttrs, "received MessageAttributes");
  const sys = m.Attributes ?? {};
  eq(Object.keys(sys).sort(), ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "SentTimestamp"],
    "system attribute names");
  eq(sys.SenderId, "000000000000", "SenderId (the account root's principal id)");
  eq(sys.ApproximateReceiveCount, "1", "ApproximateReceiveCount");
  for (const k of ["SentTimestamp", "ApproximateFirstReceiveTimestamp"]) {
    const v = sys[k] ?? "";
    check(/^\d{13}$/.test(v) && Math.abs(Number(v) - Date.now()) < 60000, `${k} = ${v} is epoch ms near now`);
  }

  // Change visibility: 0 makes it visible again at once.
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = (await sqs.send(new ReceiveMessageCommand({
    QueueUrl: url, MessageSystemAttributeNames: ["ApproximateReceiveCount"], WaitTimeSeconds: 5,
  }))).Messages ?? [];
  if (eq(again.length, 1, "message visible again after ChangeMessageVisibility 0")) {
    eq([again[0].MessageId, again[0].Attributes?.ApproximateReceiveCount], [sent.MessageId, "2"],
      "re-received MessageId and ApproximateReceiveCount");
    checkMessageMD5s(again[0], "re-received message (no attributes asked)");
    // Hide it for a while, then delete it.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle, VisibilityTimeout: 60 }));
    const hidden = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? [];
    eq(hidden.length, 0, "message hidden after ChangeMessageVisibility 60");
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again[0].ReceiptHandle }));
    check(true, "DeleteMessage");
  }
  const e = await errorOf(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: "not-a-receipt-handle", VisibilityTimeout: 0 })));
  eq([e.code, e.status], ["ReceiptHandleIsInvalid", 404], "ChangeMessageVisibility with a bogus receipt handle (404 as in the SQS model)");
});

// --- batches ------------------------------------------------------------------
await step("batches", async () => {
  const entries = [0, 1, 2].map((i) => ({
    Id: "m" + i, MessageBody: "batch " + i,
    MessageAttributes: { idx: { DataType: "Number", StringValue: String(i) } },
  }));
  entries.push({ Id: "bad", MessageBody: "x", DelaySeconds: 901 });
  const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
  eq((res.Successful ?? []).map((e) => e.Id).sort(), ["m0", "m1", "m2"], "SendMessageBatch Successful ids");
  for (const e of res.Successful ?? []) {
    const i = e.Id.slice(1);
    eq([e.MD5OfMessageBody, e.MD5OfMessageAttributes],
      [md5Hex("batch " + i), md5OfAttributes({ idx: { DataType: "Number", StringValue: i } })], `batch entry ${e.Id} MD5s`);
  }
  eq((res.Failed ?? []).map((f) => [f.Id, f.Code, f.SenderFault]), [["bad", "InvalidParameterValue", true]],
    "SendMessageBatch Failed");
  let e = await errorOf(sqs.send(new SendMessageBatchCommand({
    QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: "i" + i, MessageBody: "x" })),
  })));
  eq([e.code, e.status], ["AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400], "11 batch entries");

  const received = [];
  const deadline = Date.now() + 10000;
  while (received.length < 3 && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"],
    }));
    received.push(...(r.Messages ?? []));
  }
  eq(received.map((m) => m.Body).sort(), ["batch 0", "batch 1", "batch 2"], "batch bodies received");
  for (const m of received) checkMessageMD5s(m, `batch message ${m.Body}`);
  const dels = received.map((m, i) => ({ Id: "d" + i, ReceiptHandle: m.ReceiptHandle }));
  dels.push({ Id: "bogus", ReceiptHandle: "not-a-receipt-handle" });
  const dres = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: dels }));
  eq((dres.Successful ?? []).map((d) => d.Id).sort(), dels.slice(0, -1).map((d) => d.Id).sort(), "DeleteMessageBatch Successful");
  eq((dres.Failed ?? []).map((f) => [f.Id, f.Code, f.SenderFault]), [["bogus", "ReceiptHandleIsInvalid", true]],
    "DeleteMessageBatch Failed");

  const counts = (await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
  }))).Attributes;
  eq(counts, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" }, "counts after deletes");
  const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["All"] }));
  eq(empty.Messages, undefined, "empty receive has no Messages");
  eq(empty.$metadata.httpStatusCode, 200, "empty receive status");
});

// --- queue attributes ---------------------------------------------------------
await step("queue attributes", async () => {
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "45", DelaySeconds: "1" } }));
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["VisibilityTimeout", "DelaySeconds"] }))).Attributes;
  eq(a, { VisibilityTimeout: "45", DelaySeconds: "1" }, "attributes after SetQueueAttributes");
  const e = await errorOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["Bogus"] })));
  eq([e.code, e.status], ["InvalidAttributeName", 400], "unknown queue attribute");
});

// --- errors ---------------------------------------------------------------------
await step("errors", async () => {
  const missing = sqs.send(new GetQueueUrlCommand({ QueueName: "js-missing-" + suffix }));
  let err = null;
  try { await missing; } catch (e) { err = e; }
  check(err instanceof QueueDoesNotExist, `GetQueueUrl of a missing queue throws QueueDoesNotExist (got ${err?.name})`);
  eq([err?.Code, err?.$metadata?.httpStatusCode], ["AWS.SimpleQueueService.NonExistentQueue", 400],
    "missing queue's Query-compatible code and status");
  const e = await errorOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })));
  eq([e.code, e.status], ["InvalidParameterValue", 400], "MaxNumberOfMessages 11");
});

// --- authentication ---------------------------------------------------------------
await step("wrong secret", async () => {
  const bad = client({ accessKeyId: "AKIDTEST", secretAccessKey: "not-the-secret" });
  const e = await errorOf(bad.send(new GetQueueUrlCommand({ QueueName: name })));
  if (!eq([e.code, e.status], ["SignatureDoesNotMatch", 403], "wrong secret")) dumpRequest(bad, "rejected request");
});
await step("unknown key", async () => {
  const bad = client({ accessKeyId: "AKIDUNKNOWNJS", secretAccessKey: "secret" });
  const e = await errorOf(bad.send(new ListQueuesCommand({})));
  if (!eq([e.code, e.status], ["InvalidClientTokenId", 403], "unknown access key")) dumpRequest(bad, "rejected request");
});

// --- clean up ------------------------------------------------------------------------
await step("clean up", async () => {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  const e = await errorOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })));
  eq([e.code, e.status], ["AWS.SimpleQueueService.NonExistentQueue", 400], "deleted queue");
});

finish(`@aws-sdk/client-sqs ${version} (AWS JSON 1.0)`);

// Shared helpers of the black-box JavaScript client checks, mirroring
// test/py/sqscheck.py: check/eq record and print failures, finish exits
// non-zero if any check failed.

import { createHash } from "node:crypto";
import { isDeepStrictEqual, inspect } from "node:util";

const failures = [];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const show = (v) => inspect(v, { depth: 6, breakLength: Infinity, compact: true });

// check records a failure (and prints it) unless cond holds; it prints
// "ok: msg" otherwise, so every check leaves a line.
export function check(cond, msg) {
  if (!cond) {
    failures.push(msg);
    console.log("FAIL: " + msg);
  } else {
    console.log("ok: " + msg);
  }
  return Boolean(cond);
}

export function eq(got, want, what) {
  const ok = isDeepStrictEqual(got, want);
  return check(ok, ok ? `${what} = ${show(got)}` : `${what} = ${show(got)}, want ${show(want)}`);
}

export function md5Hex(data) {
  return createHash("md5").update(typeof data === "string" ? Buffer.from(data, "utf8") : data).digest("hex");
}

function lp(b) {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
}

// md5OfAttributes is MD5OfMessageAttributes as SQS computes it. attrs maps
// names to {DataType, StringValue | BinaryValue (Uint8Array)}.
export function md5OfAttributes(attrs) {
  const parts = [];
  for (const name of Object.keys(attrs).sort()) {
    const v = attrs[name];
    parts.push(lp(Buffer.from(name, "utf8")), lp(Buffer.from(v.DataType, "utf8")));
    if (v.StringValue !== undefined) {
      parts.push(Buffer.from([1]), lp(Buffer.from(v.StringValue, "utf8")));
    } else {
      parts.push(Buffer.from([2]), lp(Buffer.from(v.BinaryValue)));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

// errorOf awaits promise and returns the service error's code, HTTP status
// and message; {code: null, status: 200} if it succeeded. The code is the
// wire error code (for SQS's JSON protocol the Query-compatible code AWS
// sends in x-amzn-query-error, which the SDK keeps in Code), else the SDK's
// error name.
export async function errorOf(promise) {
  try {
    await promise;
  } catch (e) {
    return {
      code: e.Code ?? e.name ?? null,
      name: e.name ?? null,
      status: e.$metadata?.httpStatusCode ?? null,
      message: e.message ?? null,
    };
  }
  return { code: null, name: null, status: 200, message: null };
}

// step runs one flow section; an exception (an SDK call that should have
// worked, or an MD5 the SDK rejected) counts as a failed check and the flow
// goes on with the next section.
export async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    const status = e?.$metadata?.httpStatusCode;
    check(false, `${name}: ${e?.name ?? "error"}${status ? " (HTTP " + status + ")" : ""}: ${e?.message ?? e}`);
  }
}

export function finish(name) {
  if (failures.length > 0) {
    console.log(`${name}: ${failures.length} check(s) failed`);
    process.exit(1);
  }
  console.log(`${name}: all checks passed`);
  process.exit(0);
}

// sdkVersion reads the installed version of an @aws-sdk package.
export async function sdkVersion(pkg) {
  const { readFile } = await import("node:fs/promises");
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(await readFile(url, "utf8")).version;
}

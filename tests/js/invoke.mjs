// The AWS SDK for JavaScript v3's Lambda client against Tailor's Lambda API, as an application
// would use it: sync, with a function error, with a log tail, async (Event) and DryRun. Prints
// one JSON object of what came back; tests/integration/lambda_cli_test.py checks it.
//
// usage: node invoke.mjs ENDPOINT FUNCTION   (credentials from AWS_ACCESS_KEY_ID/SECRET)
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";

const [endpoint, fn] = process.argv.slice(2);
const client = new LambdaClient({ endpoint, region: "us-east-1", maxAttempts: 1 });
const text = (bytes) => (bytes ? Buffer.from(bytes).toString() : "");
const invoke = async (payload, extra = {}) => {
  const out = await client.send(new InvokeCommand({
    FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)), ...extra,
  }));
  return {
    status: out.StatusCode, error: out.FunctionError ?? null, version: out.ExecutedVersion ?? null,
    payload: text(out.Payload), log: out.LogResult ? Buffer.from(out.LogResult, "base64").toString() : null,
  };
};

const result = {
  sync: await invoke({ n: 1 }),
  failed: await invoke({ op: "fail" }),
  tail: await invoke({ n: 2 }, { LogType: "Tail" }),
  event: await invoke({ n: 3 }, { InvocationType: "Event" }),
  dry: await invoke({}, { InvocationType: "DryRun" }),
};
try {
  await client.send(new InvokeCommand({ FunctionName: "no-such-function", Payload: Buffer.from("{}") }));
  result.missing = "no error";
} catch (err) {
  result.missing = err.name;
}
console.log(JSON.stringify(result));

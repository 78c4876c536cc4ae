// An example handler: a SHA-256 of the event's text, as a Lambda function would compute it.
// Requiring the module is the init (done once per warm instance).
"use strict";
const crypto = require("crypto");

exports.handler = async (event, context) => {
  if (typeof (event && event.text) !== "string") {
    throw new TypeError("'text' must be a string");
  }
  console.log(`hashing ${event.text.length} characters for ${context.awsRequestId}`);
  return {
    sha256: crypto.createHash("sha256").update(event.text).digest("hex"),
    remaining_ms: context.getRemainingTimeInMillis(),
  };
};

// The RESP kit (Redis protocol, RESP2): the codec and the test-side connection with its checks.
// Public to assignments, beside grader/authoring.ts.
export { encodeCommand, encodeResp, parseReply, describeReply, resp, type RespValue } from '../net/resp.js';
export { around, connectResp, sameText, showCommand, showExpected, showValue, RespConnection, type Arg, type Expected, type ExpectOptions } from '../harness/resp.js';

// The JSON-lines kit: one JSON object per line, as the peers assignments speak it, and a client
// that sends requests and reads replies. Public to assignments, beside grader/authoring.ts.
export { lineParser, parseLine, show, HINT_FRAMING, PeerClient, type JsonObject } from '../harness/json-lines.js';

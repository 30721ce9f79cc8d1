// The DNS kit: a scripted DNS server the grader plays (UDP and TCP), wire-format builders for
// answers a codec would refuse to write, and the steps that run a DNS client and read its
// output. Public to assignments, beside grader/authoring.ts.
export { EXIT_MEANING, dnsServer, clientArgs, describeQuery, runClient, describeRunEnd, stderrNote, expectExit, printedLines, expectLines, type ClientCall } from '../harness/dns.js';
export { ScriptedDnsServer, describeDnsMessage, respond, checkQuery, type DnsQuery, type DnsReply, type DnsHandler, type DnsServerOptions, type RecordSpec } from '../net/dns-server.js';
export { typeCode, encodeName, pointer, header, responseWithPointers, malformed, findWireProblem, wireMessage, wireRecord, txtRdata, type HeaderFields, type WireProblem, type WireName, type WireRecord } from '../net/dns-wire.js';

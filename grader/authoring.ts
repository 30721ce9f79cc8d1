// The public authoring API: everything an assignment's tests.ts needs, from one module. An
// assignment written against this file alone (assignments/http-server is) needs no change to the
// engine; docs/authoring.md teaches it. The protocol kits of the shipped assignments (RESP, DNS,
// JSON lines) are public too, each from its own module under grader/kits/. An assignment imports
// nothing else of the grader: eslint.config.js enforces it in `npm test`.
export { defineTests, type TestFn, type TestSuite } from './harness/define.js';
export type { TestContext, ProgramView, PeerProcess, PeerSpec } from './harness/context.js';
export { TestFailure, fail, atMost, atLeast, failTiming, withTiming, type FailureDetails, type TimingFailure } from './harness/failure.js';
export { firstDifference, byteDiff } from './harness/diff.js';
export { allClients } from './harness/together.js';
export { type Random, randomBuffer, randomWord } from './harness/random.js';
export { type Cluster, type ClusterSpec } from './peers/cluster.js';
export { type Traffic } from './peers/traffic.js';
export { type Topology, line, ring, grid, tree, randomConnected, neighbours, hopsFrom, diameter } from './peers/topology.js';
export { TcpClient, ConnectError, MAX_BUFFERED_BYTES, type Parser, type ParseStep, type ReadOutcome, type WriteOptions } from './net/tcp-client.js';
export { chunk, type Chunking } from './net/chunking.js';
export { readCapped, MAX_BODY_BYTES, type CappedBody } from './net/capped-body.js';
export { Transcript } from './net/transcript.js';
export { LinkProxy, type LinkProxyOptions, type Direction, type Verdict } from './net/link-proxy.js';
export { FaultDecider, FaultyChannel, policyProblem, type FaultPolicy, type FaultDecision, type FaultEvent } from './net/faults.js';
export { LossyUdpSocket, type LossyUdpOptions, type LadderOptions, type Datagram, type DirectedFaultEvent } from './net/lossy-udp.js';
export type { LinkFaults } from './peers/network.js';
export { quoteBytes, escapeBytes } from './results/escape.js';
export type { RunResult } from './harness/context.js';

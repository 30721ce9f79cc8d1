// The broadcast kit: Maelstrom's broadcast workload over a cluster of peers that speak
// newline-delimited JSON (values broadcast at peers, reads, every value everywhere within a
// bound, and the spread picture). Public to assignments, beside grader/authoring.ts.
export { broadcastWorkload, Broadcast, type BroadcastTraffic } from '../harness/broadcast.js';

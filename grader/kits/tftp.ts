// The TFTP kit: the grader's own TFTP client behind the seeded fault layer (reads, writes,
// options, strangers, a client that vanishes; every datagram kept and drawn as a ladder), and
// the packet codec. Public to assignments, beside grader/authoring.ts.
export { tftpRead, tftpWrite, tftpExchange, ladder, errorWords, type TransferOptions, type TransferResult, type Arrival } from '../harness/tftp.js';
export { OP, ERROR_NAMES, request, data, ack, error, oack, parse, describe, toNetascii, fromNetascii, type TftpPacket, type Parsed } from '../net/tftp-wire.js';

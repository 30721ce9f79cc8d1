// The BitTorrent kit: single-file torrents, the grader's HTTP tracker, scripted peers (seeders
// that can misbehave on purpose, logging every message a student's peer sends them) and a
// scripted leecher, over the peer wire protocol's codec. Public to assignments, beside
// grader/authoring.ts.
export { makeTorrent, metainfoWith, pieceCount, pieceBytes, checkRequest, Tracker, ScriptedPeer, leech, type Torrent, type Announce, type TrackerOptions, type ConnectionLog, type SeederOptions, type LeechResult } from '../harness/bittorrent.js';
export { BLOCK, MAX_MESSAGE, encode, handshake, parseHandshake, parseMessage, describeMessage, bitfieldOf, hasPiece, countBits, WireReader, type Handshake, type WireMessage } from '../net/bt-wire.js';

// nanocap in Node: better-sqlite3 loads the extension into one connection, then plain SQL
// reads a capture file. Usage (from this directory, after `npm install`):
//   node query.js [EXTENSION] [CAPTURE]
// Defaults: the extension built in this repository and the bundled sample capture.
"use strict";
const path = require("path");
const Database = require("better-sqlite3");

const root = path.join(__dirname, "..", "..");
const extension = process.argv[2] || path.join(root, "target", "release", "libnanocap");
const capture = process.argv[3] || path.join(root, "tests", "fixtures", "sample.pcapng");

const db = new Database(":memory:");
db.loadExtension(extension); // the entry point sqlite3_nanocap_init comes from the file name

console.log(db.prepare("SELECT nano_version() AS v").get().v);
// Table functions take the capture's path as an argument; bind it like any value.
const perType = db.prepare(
  "SELECT msg_name, count(*) AS n FROM nano_packets(?) GROUP BY msg_name ORDER BY msg_name"
);
for (const row of perType.all(capture)) {
  console.log(`${row.msg_name ?? "NULL"}|${row.n}`); // NULL: a type newer than the decoder
}
const votes = db.prepare(
  "SELECT account, final, vote_count FROM nano_votes(?) ORDER BY packet_id LIMIT 3"
);
for (const v of votes.all(capture)) {
  console.log(`vote|${v.account}|${v.final}|${v.vote_count}`);
}
db.close();

// The peer of `caravan bench certs`' "OpenAttestation v2 integrity" line: the OpenAttestation
// library's own verifySignature (v2: target hash and Merkle proof) on the same documents, the
// v2 vectors of tests/data it accepts (all but obfuscated-wrapped.json; PROVENANCE.md there).
// Run through scripts/bench-oa-peer.sh, which installs the library and prints the ratio.
// Prints one line: "verifySignature: <us> us/doc, <n> /s, <documents> documents, node <version>".
const oa = require("@govtechsg/open-attestation");
const fs = require("fs");
const path = require("path");
const dir = path.join(__dirname, "../tests/data/oa/v2");
const docs = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json") && f !== "obfuscated-wrapped.json")
  .sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f))));
for (const doc of docs) if (!oa.verifySignature(doc)) throw new Error("a vector does not verify");
const n = Number(process.argv[2] || 20000);
for (let i = 0; i < 2000; i++) oa.verifySignature(docs[i % docs.length]);
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) if (!oa.verifySignature(docs[i % docs.length])) throw new Error("no");
const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
console.log(
  `verifySignature: ${us.toFixed(1)} us/doc, ${(1e6 / us).toFixed(0)} /s, ${docs.length} documents, node ${process.version}`,
);

// The peer of benches/formats.rs's oa_v2_integrity: @govtechsg/open-attestation's own
// verifySignature (v2 integrity: target hash and Merkle proof) on the same vector.
// Run: npm install @govtechsg/open-attestation@6 && node crates/caravan-interop/benches/oa_peer.js
const oa = require("@govtechsg/open-attestation");
const fs = require("fs");
const path = require("path");
const doc = JSON.parse(fs.readFileSync(path.join(__dirname, "../tests/data/oa/v2/did-signed.json")));
for (let i = 0; i < 500; i++) oa.verifySignature(doc);
const n = 5000;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) if (!oa.verifySignature(doc)) throw new Error("the vector does not verify");
const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
console.log(`verifySignature (v2 integrity): ${us.toFixed(1)} us/doc, ${(1e6 / us).toFixed(0)} /s, node ${process.version}`);

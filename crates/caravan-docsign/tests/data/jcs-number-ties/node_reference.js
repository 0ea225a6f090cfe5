// Reads IEEE-754 bit patterns (hex, one a line) and prints "<hex> <JSON.stringify(value)>".
// node node_reference.js < ties_input.txt > ties_node.txt
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const buf = new DataView(new ArrayBuffer(8));
for (const hex of lines) {
  buf.setBigUint64(0, BigInt('0x' + hex));
  console.log(hex + ' ' + JSON.stringify(buf.getFloat64(0)));
}

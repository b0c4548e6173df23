// Run a MicroPython script on the 32-bit webassembly port (small ints are 31-bit, as on
// a microcontroller), with host folders copied into its in-memory filesystem.
//
//   node tools/wasm/run.mjs [--heapsize BYTES] [--lib DIR]... [--file HOST=TARGET]... SCRIPT [ARG]...
//
// Every --lib DIR is copied to /lib (its .py files, recursively); --file copies one host
// file to an absolute TARGET path. sys.argv is [SCRIPT, ARG...]. Exit status 1 when the
// script raises.
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const args = process.argv.slice(2);
let heapsize = 1024 * 1024;
const libs = [];
const files = [];
while (args.length && args[0].startsWith("--")) {
  const opt = args.shift();
  const val = args.shift();
  if (opt === "--heapsize") heapsize = parseInt(val, 10);
  else if (opt === "--lib") libs.push(val);
  else if (opt === "--file") files.push(val.split("="));
  else throw new Error(`unknown option ${opt}`);
}
const [script, ...scriptArgs] = args;
if (!script) {
  console.error("usage: run.mjs [--heapsize N] [--lib DIR]... [--file HOST=TARGET]... SCRIPT [ARG]...");
  process.exit(2);
}

const mp = await loadMicroPython({
  heapsize,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mkdirs(target) {
  let cur = "";
  for (const part of target.split("/").filter(Boolean)) {
    cur += "/" + part;
    if (!mp.FS.analyzePath(cur).exists) mp.FS.mkdir(cur);
  }
}

function copyTree(src, dst) {
  mkdirs(dst);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    if (entry.isDirectory()) copyTree(from, `${dst}/${entry.name}`);
    else if (/\.m?py$/.test(entry.name)) mp.FS.writeFile(`${dst}/${entry.name}`, fs.readFileSync(from));
  }
}

for (const lib of libs) copyTree(lib, "/lib");
for (const [host, target] of files) {
  mkdirs(path.posix.dirname(target));
  mp.FS.writeFile(target, fs.readFileSync(host));
}
mkdirs("/script");
mp.FS.writeFile("/script/main.py", fs.readFileSync(script));

const argv = JSON.stringify([script, ...scriptArgs]);
try {
  mp.runPython(`
import sys
sys.argv[:] = ${argv}
sys.path.insert(0, "/script")
sys.path.insert(1, "/lib")
exec(open("/script/main.py").read(), {"__name__": "__main__"})
`);
} catch (err) {
  process.stderr.write(String(err.message || err) + "\n");
  process.exit(1);
}

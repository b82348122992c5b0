#!/usr/bin/env node
// The jwt-idp-bridge command. Node >= 22.18 runs the TypeScript sources directly (erasable syntax only),
// so there is no build step to remember.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`jwt-idp-bridge needs Node.js >= 22.18 (this is ${process.version}).\n`);
  process.exit(2);
}
// Node's compile cache keeps the type-stripped sources and their bytecode, so a start after the first one neither loads
// the TypeScript stripper (~25 MB resident) nor strips and compiles again. NODE_COMPILE_CACHE chooses another
// folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off. A folder the process cannot write (a read-only image whose cache
// was filled at build time) is read and not written; one it cannot use at all only costs that memory again.
const { enableCompileCache } = await import('node:module');
const { fileURLToPath } = await import('node:url');
if (!process.env.NODE_COMPILE_CACHE) enableCompileCache(fileURLToPath(new URL('../node_modules/.cache/jwt-idp-bridge', import.meta.url)));
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readStdin: async () => {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
});
if (code !== undefined) process.exitCode = code;

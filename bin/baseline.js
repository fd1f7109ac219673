#!/usr/bin/env node
// Entry point of the `baseline` command. Baseline runs its TypeScript sources
// directly (Node strips the types), which needs Node 22.18 or newer. When an
// older Node started this file, hand over to the Node 24 that the install
// script put in .tools/node, so `npx baseline` works on such machines too.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
const modern = major > 22 || (major === 22 && minor >= 18);

if (modern) {
  // Node keeps the compiled (and type-stripped) modules on disk, keyed by
  // their source: a command starts in half the time from the second run on.
  const { enableCompileCache } = await import("node:module");
  enableCompileCache();
  await import("../src/cli/main.ts");
} else {
  const bundled = fileURLToPath(new URL("../.tools/node/bin/node", import.meta.url));
  if (!existsSync(bundled)) {
    console.error(`baseline: Node ${process.versions.node} is too old (22.18 or newer is needed); run ./install.sh to fetch Node 24`);
    process.exit(2);
  }
  const result = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

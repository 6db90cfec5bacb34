// Test prerequisite: the observe tests run a real Prometheus and backfill it with promtool.
// Installs Debian's `prometheus` package when it is missing and we are allowed to; otherwise
// stops with one line saying what to do. No test skips silently because of a missing binary.
import { execFileSync, spawnSync } from "node:child_process";

const REQUIRED = ["prometheus", "promtool"];

function missingBinaries() {
  return REQUIRED.filter((binary) => spawnSync("sh", ["-c", `command -v ${binary}`]).status !== 0);
}

let missing = missingBinaries();
if (missing.length > 0) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasAptGet = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasAptGet) {
    console.error(
      `rightsize tests need ${missing.join(" and ")}: install the Debian package as root (apt-get update && apt-get install -y prometheus) or put both binaries on PATH.`,
    );
    process.exit(1);
  }
  console.error(`Installing the Debian package "prometheus" (missing: ${missing.join(", ")}) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "prometheus"], { stdio: ["ignore", "ignore", "inherit"], env });
  missing = missingBinaries();
  if (missing.length > 0) {
    console.error(`rightsize tests need ${missing.join(" and ")}, still missing after installing "prometheus".`);
    process.exit(1);
  }
}

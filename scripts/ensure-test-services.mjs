// Test prerequisites: the observe tests run a real Prometheus (backfilled with promtool) and a
// real VictoriaMetrics (a shared store holding several clusters), the queue tests a real Redis.
// Installs the Debian packages `prometheus`, `victoria-metrics` and `redis-server` when a
// binary is missing and we are allowed to; otherwise stops with one line saying what to do. No
// test skips silently because of a missing binary.
import { execFileSync, spawnSync } from "node:child_process";

const PACKAGES = { prometheus: ["prometheus", "promtool"], "victoria-metrics": ["victoria-metrics"], "redis-server": ["redis-server"] };

const missingBinaries = (binaries) => binaries.filter((binary) => spawnSync("sh", ["-c", `command -v ${binary}`]).status !== 0);
const missingPackages = () => Object.entries(PACKAGES).filter(([, binaries]) => missingBinaries(binaries).length > 0).map(([name]) => name);

let missing = missingPackages();
if (missing.length > 0) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasAptGet = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasAptGet) {
    console.error(`rightsize tests need the Debian packages ${missing.join(" and ")}: install them as root (apt-get update && apt-get install -y ${missing.join(" ")}) or put their binaries on PATH.`);
    process.exit(1);
  }
  console.error(`Installing the Debian packages ${missing.join(", ")} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { stdio: ["ignore", "ignore", "inherit"], env });
  // The package starts a system-wide server; the tests start their own on free ports.
  if (missing.includes("redis-server")) spawnSync("sh", ["-c", "service redis-server stop || true"], { stdio: "ignore" });
  if (missing.includes("victoria-metrics")) spawnSync("sh", ["-c", "service victoria-metrics stop || true"], { stdio: "ignore" });
  missing = missingPackages();
  if (missing.length > 0) {
    console.error(`rightsize tests need ${missing.join(" and ")}, still missing after installing them.`);
    process.exit(1);
  }
}

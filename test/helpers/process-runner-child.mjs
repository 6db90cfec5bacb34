// Runs the commands the loopback GitHub stand-in sends it (see process-runner.ts): a small
// process forks git far faster than a test process that holds the app.
import { spawn } from "node:child_process";

process.on("message", ({ id, file, args, cwd, env, input }) => {
  const child = spawn(file, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  const stdout = [];
  const stderr = [];
  child.stdout.on("data", (chunk) => stdout.push(chunk));
  child.stderr.on("data", (chunk) => stderr.push(chunk));
  child.stdin.on("error", () => undefined);
  child.on("error", (error) => process.send({ id, status: null, stdout: "", stderr: "", error: error.message }));
  child.on("close", (status) => process.send({ id, status, stdout: Buffer.concat(stdout).toString("base64"), stderr: Buffer.concat(stderr).toString("base64") }));
  child.stdin.end(input === undefined ? undefined : Buffer.from(input, "base64"));
});
process.on("disconnect", () => process.exit(0));

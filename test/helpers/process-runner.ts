import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * Runs git (or a shell of git commands) in a small child process. Forking from a test process
 * that holds the app, Probot and GitHub's REST description costs tens of milliseconds a process;
 * forking from a process of a few megabytes costs a few. The stand-in and the lifecycle
 * simulation run hundreds of git commands a simulated week through one of these.
 */
export class ProcessRunner {
  private child: ChildProcess | undefined;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(result: RunResult): void; reject(error: Error): void }>();

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), "process-runner-child.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
    child.on("message", (message: { id: number; status: number | null; stdout: string; stderr: string; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve({ status: message.status, stdout: Buffer.from(message.stdout, "base64"), stderr: Buffer.from(message.stderr, "base64") });
    });
    child.on("exit", () => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error("the process runner exited"));
      this.waiting.clear();
      this.child = undefined;
    });
    this.child = child;
    return child;
  }

  run(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: Buffer | string }): Promise<RunResult> {
    const child = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      child.send({ id, file, args, cwd: options.cwd, env: options.env ?? process.env, input: options.input === undefined ? undefined : Buffer.from(options.input).toString("base64") });
    });
  }

  /** Its output as text; a failure throws with git's message. */
  async text(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: Buffer | string }): Promise<string> {
    const result = await this.run(file, args, options);
    if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${result.status}): ${result.stderr.toString("utf8").trim()}`);
    return result.stdout.toString("utf8");
  }

  stop(): void {
    this.child?.disconnect();
    this.child = undefined;
  }
}

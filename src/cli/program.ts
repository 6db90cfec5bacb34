import { Command, CommanderError } from "commander";
import { EXIT, exitCodeFor, formatLocation, RightsizeError, terminalText } from "../domain/index.js";
import { TOOL_VERSION } from "../version.js";

/**
 * Each subcommand lives in `commands/<name>.ts` and exports `register(program)`. Only the
 * invoked command's module is loaded (some pull in the Kubernetes client, which takes a second
 * to import); help and unknown commands load them all, --version none.
 * Exit statuses (README): 0 ok, 1 a finding or refusal to act on, 2 usage or input error,
 * 3 an external system failed.
 */
type CommandModule = { register(program: Command): void };

const COMMAND_MODULES: Record<string, () => Promise<CommandModule>> = {
  policy: () => import("./commands/policy.js"),
  recommend: () => import("./commands/recommend.js"),
  backtest: () => import("./commands/backtest.js"),
  plan: () => import("./commands/plan.js"),
  propose: () => import("./commands/propose.js"),
  scan: () => import("./commands/scan.js"),
  verify: () => import("./commands/verify.js"),
  demo: () => import("./commands/demo.js"),
  edit: () => import("./commands/edit.js"),
  discover: () => import("./commands/discover.js"),
  snapshot: () => import("./commands/snapshot.js"),
  doctor: () => import("./commands/doctor.js"),
};

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("rightsize")
    .description("Right-size Kubernetes CPU/memory requests through reviewable GitOps pull requests.")
    .version(TOOL_VERSION)
    .exitOverride();
  const requested = argv.find((argument) => !argument.startsWith("-"));
  const load = requested === undefined ? undefined : COMMAND_MODULES[requested];
  const versionOnly = requested === undefined && argv.some((argument) => argument === "--version" || argument === "-V");
  const loaders = load ? [load] : versionOnly ? [] : Object.values(COMMAND_MODULES);
  for (const loader of loaders) (await loader()).register(program);
  hintAfterErrors(program, ["rightsize"]);
  return program;
}

/**
 * A usage error (a mistyped flag, a missing argument) prints commander's message with its "Did
 * you mean" line, then one line saying where the flags are, not the whole help.
 */
function hintAfterErrors(command: Command, path: readonly string[]): void {
  command.showHelpAfterError(`see ${path.join(" ")} --help`);
  for (const subcommand of command.commands) hintAfterErrors(subcommand, [...path, subcommand.name()]);
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  if (argv.length === 0) {
    // No command is a usage error: the help goes where errors go, and scripts see status 2.
    process.stderr.write(program.helpInformation());
    return EXIT.input;
  }
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed what the user asked for.
    // A command group run without its subcommand (`rightsize policy`) printed its help as an error.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
    if (error.code === "commander.help") return error.exitCode === 0 ? EXIT.ok : EXIT.input;
    return EXIT.input;
  }
  if (error instanceof RightsizeError) {
    const where = formatLocation(error.location);
    const prefix = where && !error.message.startsWith(where) ? `${where}: ` : "";
    process.stderr.write(`rightsize: ${terminalText(`${prefix}${error.message}`)}\n`);
    return exitCodeFor(error);
  }
  const system = systemErrorOf(error);
  if (system) {
    process.stderr.write(`rightsize: ${terminalText(system.message)}\n`);
    return system.status;
  }
  // A bug, not a bad input: one line, and the stack only when asked for.
  const message = error instanceof Error ? error.message : String(error);
  const stack = process.env.RIGHTSIZE_DEBUG && error instanceof Error ? `\n${error.stack}` : " (set RIGHTSIZE_DEBUG=1 for the stack trace)";
  process.stderr.write(`rightsize: unexpected failure: ${terminalText(`${message.split("\n")[0]}${stack}`)}\n`);
  return exitCodeFor(error);
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
};

const READING = new Set(["open", "read", "scandir", "stat", "lstat", "opendir", "readlink", "access"]);

/**
 * A file system error that reached the top (an unreadable directory in the checkout, a file that
 * vanished): one line naming the path, exit 2 for what the user can fix, 3 for the machine.
 */
function systemErrorOf(error: unknown): { message: string; status: number } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (!code || !syscall || !path || !/^E[A-Z]+$/.test(code)) return undefined;
  const verb = READING.has(syscall) ? "cannot read" : "cannot write";
  const words = ERRNO_WORDS[code];
  const fix = code === "EACCES" || code === "EPERM" ? "; check its permissions" : "";
  const status = words === undefined || code === "ENOSPC" ? EXIT.external : EXIT.input;
  return { message: `${verb} ${path}: ${words ?? code} (${code})${fix}`, status };
}

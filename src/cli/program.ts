import { Command, CommanderError } from "commander";
import { exitCodeFor, formatLocation, RightsizeError, EXIT } from "../domain/index.js";
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
  plan: () => import("./commands/plan.js"),
  propose: () => import("./commands/propose.js"),
  scan: () => import("./commands/scan.js"),
  demo: () => import("./commands/demo.js"),
  edit: () => import("./commands/edit.js"),
  discover: () => import("./commands/discover.js"),
  snapshot: () => import("./commands/snapshot.js"),
};

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("rightsize")
    .description("Right-size Kubernetes CPU/memory requests through reviewable GitOps pull requests.")
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();
  const requested = argv.find((argument) => !argument.startsWith("-"));
  const load = requested === undefined ? undefined : COMMAND_MODULES[requested];
  const versionOnly = requested === undefined && argv.some((argument) => argument === "--version" || argument === "-V");
  const loaders = load ? [load] : versionOnly ? [] : Object.values(COMMAND_MODULES);
  for (const loader of loaders) (await loader()).register(program);
  return program;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
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
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.ok;
    return EXIT.input;
  }
  if (error instanceof RightsizeError) {
    const where = formatLocation(error.location);
    const prefix = where && !error.message.startsWith(where) ? `${where}: ` : "";
    process.stderr.write(`rightsize: ${prefix}${error.message}\n`);
    return exitCodeFor(error);
  }
  process.stderr.write(`rightsize: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return exitCodeFor(error);
}

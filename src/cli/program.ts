import { Command, CommanderError } from "commander";
import { exitCodeFor, formatLocation, RightsizeError, EXIT } from "../domain/index.js";
import { TOOL_VERSION } from "../version.js";

/**
 * Each subcommand lives in `commands/<name>.ts` and exports `register(program)`.
 * Exit statuses (README): 0 ok, 1 a finding or refusal to act on, 2 usage or input error,
 * 3 an external system failed.
 */
const COMMAND_MODULES: ReadonlyArray<() => Promise<{ register(program: Command): void }>> = [
  () => import("./commands/policy.js"),
  () => import("./commands/recommend.js"),
  () => import("./commands/plan.js"),
  () => import("./commands/propose.js"),
  () => import("./commands/demo.js"),
  () => import("./commands/edit.js"),
  () => import("./commands/discover.js"),
  () => import("./commands/snapshot.js"),
];

export async function buildProgram(): Promise<Command> {
  const program = new Command("rightsize")
    .description("Right-size Kubernetes CPU/memory requests through reviewable GitOps pull requests.")
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const load of COMMAND_MODULES) (await load()).register(program);
  return program;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = await buildProgram();
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

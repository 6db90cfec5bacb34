import { RightsizeError } from "../domain/index.js";
import { parseWorkloadTarget, type WorkloadTarget } from "../pipeline/index.js";

/**
 * SPEC §9: `/rightsize` commands, read line by line outside code blocks and quotes. Pure: a
 * comment body in, the commands it holds out, each with the line it came from.
 */
export type SlashCommand = { line: string } & (
  | { name: "help" }
  | { name: "propose"; targets: WorkloadTarget[]; cluster?: string; namespace?: string; dryRun: boolean }
  | { name: "policy-validate" }
  | { name: "policy-migrate" }
  | { name: "doctor" }
  | { name: "onboard" }
  | { name: "refresh" }
  | { name: "rebase" }
  | { name: "explain"; container?: string }
  | { name: "ignore"; container?: string }
  | { name: "unignore"; container?: string }
  /** Not understood: the reply says why and shows the help. */
  | { name: "invalid"; problem: string }
);

export type SlashCommandName = SlashCommand["name"];

/** The commands that act on a rightsize pull request. */
export const PULL_REQUEST_COMMANDS: ReadonlySet<SlashCommandName> = new Set(["refresh", "rebase", "explain", "ignore", "unignore"]);

const COMMAND = /^ {0,3}\/rightsize(?:\s+(.*))?$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function parseCommands(body: string): SlashCommand[] {
  const commands: SlashCommand[] = [];
  let fence: string | undefined;
  for (const raw of body.split(/\r?\n/)) {
    const opening = FENCE.exec(raw);
    if (fence !== undefined) {
      // A fence closes with the same character, at least as long as it opened.
      if (opening && opening[1]![0] === fence[0] && opening[1]!.length >= fence.length && raw.trim() === opening[1]) fence = undefined;
      continue;
    }
    if (opening) {
      fence = opening[1]!;
      continue;
    }
    if (/^ {0,3}>/.test(raw)) continue;
    const match = COMMAND.exec(raw.trimEnd());
    if (match) commands.push(parseCommandLine(raw.trim(), match[1] ?? ""));
  }
  return commands;
}

function parseCommandLine(line: string, rest: string): SlashCommand {
  let words: string[];
  try {
    words = tokenize(rest);
  } catch (error) {
    return { line, name: "invalid", problem: (error as Error).message };
  }
  const [first, ...others] = words;
  switch (first) {
    case undefined:
    case "help":
      return { line, name: "help" };
    case "policy":
      if (others.length === 1 && others[0] === "validate") return { line, name: "policy-validate" };
      if (others.length === 1 && others[0] === "migrate") return { line, name: "policy-migrate" };
      return { line, name: "invalid", problem: `"/rightsize policy" takes validate or migrate` };
    case "refresh":
    case "rebase":
    case "doctor":
    case "onboard":
      return others.length === 0 ? { line, name: first } : { line, name: "invalid", problem: `"/rightsize ${first}" takes no arguments` };
    case "explain":
    case "ignore":
    case "unignore":
      if (others.length > 1) return { line, name: "invalid", problem: `"/rightsize ${first}" takes at most one container name` };
      return others[0] === undefined ? { line, name: first } : { line, name: first, container: others[0] };
    default:
      return parseProposeCommand(line, words);
  }
}

function parseProposeCommand(line: string, words: string[]): SlashCommand {
  const command: Extract<SlashCommand, { name: "propose" }> = { line, name: "propose", targets: [], dryRun: false };
  let all = false;
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (flag) {
      const [, name, inline] = flag;
      if (name === "dry-run" && inline === undefined) {
        command.dryRun = true;
        continue;
      }
      if (name !== "cluster" && name !== "namespace") return { line, name: "invalid", problem: `unknown option --${name}` };
      const value = inline ?? words[++index];
      if (value === undefined || value === "" || value.startsWith("--")) return { line, name: "invalid", problem: `--${name} needs a value` };
      command[name] = value;
      continue;
    }
    if (word === "all") {
      all = true;
      continue;
    }
    if (!word.includes("/")) return { line, name: "invalid", problem: `unknown command "${word}"` };
    try {
      command.targets.push(parseWorkloadTarget(word));
    } catch (error) {
      if (error instanceof RightsizeError) return { line, name: "invalid", problem: error.message };
      throw error;
    }
  }
  if (all && command.targets.length > 0) return { line, name: "invalid", problem: "name workloads or all, not both" };
  if (!all && command.targets.length === 0 && command.cluster === undefined && command.namespace === undefined) {
    return { line, name: "invalid", problem: "name the workloads (kind/name, namespace/kind/name) or all" };
  }
  return command;
}

/** Words separated by spaces; "double" or 'single' quotes keep spaces in one word. */
function tokenize(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let started = false;
  let quote: string | undefined;
  for (const character of text) {
    if (quote) {
      if (character === quote) quote = undefined;
      else current += character;
    } else if (character === '"' || character === "'") {
      quote = character;
      started = true;
    } else if (/\s/.test(character)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else {
      current += character;
      started = true;
    }
  }
  if (quote) throw new Error(`a ${quote} quote is not closed`);
  if (started) words.push(current);
  return words;
}

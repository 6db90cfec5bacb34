import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import deepmerge from "deepmerge";

/**
 * Webhook payloads as GitHub sends them: the examples GitHub's own Octokit project keeps
 * (`@octokit/webhooks-examples`), with only the fields a test is about replaced (the repository,
 * the people, the numbers). A handler that reads a field GitHub does not send fails here as it
 * would in production.
 */
type Payload = Record<string, unknown>;

let examples: { name: string; examples: Payload[] }[] | undefined;

function examplesOf(event: string): Payload[] {
  examples ??= JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@octokit/webhooks-examples"), "utf8")) as { name: string; examples: Payload[] }[];
  return examples.find((entry) => entry.name === event)?.examples ?? [];
}

/**
 * GitHub's example of `event` (with `action`), the richest one (an installation, an
 * organisation), with `overrides` merged in; arrays are replaced, not merged. An action the
 * examples lack (`pull_request.edited`) starts from another example of the event.
 */
export function webhookPayload<T = Payload>(event: string, action: string | undefined, overrides: object = {}): T {
  const candidates = examplesOf(event);
  if (candidates.length === 0) throw new Error(`@octokit/webhooks-examples has no ${event} event`);
  const richest = (list: Payload[]) => [...list].sort((a, b) => Object.keys(b).length - Object.keys(a).length)[0];
  const example = richest(candidates.filter((candidate) => candidate.action === action)) ?? richest(candidates)!;
  const base = structuredClone(example);
  // A comment on an issue, unless the test says it is on a pull request.
  const issue = base.issue as Payload | undefined;
  if (issue && !(overrides as { issue?: Payload }).issue?.pull_request) delete issue.pull_request;
  return deepmerge(base, { ...(action ? { action } : {}), ...overrides } as Payload, { arrayMerge: (_target, source: unknown[]) => source }) as T;
}

/** The repository every test works on, as a payload names it. */
export function repositoryFields(cloneUrl = "https://github.com/acme/shop-config.git"): Payload {
  return {
    id: 42,
    name: "shop-config",
    full_name: "acme/shop-config",
    owner: { login: "acme", type: "Organization" },
    default_branch: "main",
    master_branch: "main",
    clone_url: cloneUrl,
    html_url: cloneUrl.replace(/\.git$/, ""),
  };
}

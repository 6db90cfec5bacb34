import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, expect } from "vitest";
import { rightsizeApp, RepositoryLocks, type AppDependencies } from "../../src/app/index.js";
import { webhookPayload } from "./events.js";
import type { OperatorClusters } from "../../src/pipeline/index.js";

export const API = "https://api.github.com";
export const REPO = "/repos/acme/shop-config";
export const INSTALLATION_TOKEN = "ghs_installation_token_for_tests";
/** The app's account in tests: what GitHub names the author of everything the app writes. */
export const BOT_LOGIN = "rightsize[bot]";
export const BOT_USER = { login: BOT_LOGIN, type: "Bot" };

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PRIVATE_KEY = privateKey.export({ type: "pkcs1", format: "pem" }).toString();

/**
 * Probot's documented test pattern: a Probot with retries and throttling off, the app loaded,
 * events delivered with `probot.receive`, GitHub answered by nock. Every test ends with no
 * pending mock (one shared afterEach).
 */
export function useAppTests(): void {
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
}

export interface TestApp {
  probot: Probot;
  deps: AppDependencies;
  receive(name: string, payload: unknown, id?: string): Promise<void>;
}

export async function createTestApp(options: { clusters?: OperatorClusters; now?: string; baseUrl?: string } = {}): Promise<TestApp> {
  const deps: AppDependencies = {
    clusters: options.clusters,
    now: () => new Date(options.now ?? "2026-11-23T06:00:00Z"),
    locks: new RepositoryLocks(),
    botLogin: async () => BOT_LOGIN,
  };
  const probot = new Probot({
    appId: 1,
    privateKey: PRIVATE_KEY,
    log: pino({ level: "silent" }),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    // A function, so it applies after Probot's own defaults (an object would lose to its throttle options).
    Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  await probot.load(rightsizeApp(deps));
  let deliveries = 0;
  return {
    probot,
    deps,
    receive: (name, payload, id) => probot.receive({ id: id ?? `delivery-${++deliveries}`, name, payload } as Parameters<Probot["receive"]>[0]),
  };
}

/**
 * A webhook payload: GitHub's example of the event (`@octokit/webhooks-examples`) with the fields
 * of test/fixtures/events/<name>.json put in (the repository, the people, the numbers), then
 * `change`.
 */
export function eventPayload<T = Record<string, unknown>>(name: string, change: (payload: T) => void = () => undefined): T {
  const overrides = JSON.parse(readFileSync(path.join(import.meta.dirname, "../fixtures/events", `${name}.json`), "utf8")) as Record<string, unknown>;
  const [event, action] = name.split(".");
  const payload = webhookPayload<T>(event!, action, overrides);
  change(payload);
  return payload;
}

/** The installation token Probot asks for before the first call of an event. */
export function expectInstallationToken(api = API, installation = 2): nock.Scope {
  return nock(api).post(`/app/installations/${installation}/access_tokens`).reply(201, { token: INSTALLATION_TOKEN, expires_at: "2099-01-01T00:00:00Z", permissions: {} });
}

/** The merged pull requests a run lists once for the last step of each workload (SPEC §8); none by default. */
export function expectMergedListing(merged: unknown[] = [], api = API): nock.Scope {
  return nock(api).get(`${REPO}/pulls`).query({ state: "closed", sort: "updated", direction: "desc", per_page: "100" }).reply(200, merged);
}

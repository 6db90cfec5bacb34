import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  KubeConfig,
  ServerConfiguration,
  type Middleware,
} from "@kubernetes/client-node";
import { ExternalError, InputError } from "../../domain/index.js";

export interface KubernetesConnectionOptions {
  /** A loaded kubeconfig; default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: KubeConfig;
  context?: string;
  /** Per request. Default 30. */
  timeoutSeconds?: number;
  /** Attempts after the first for 429, 5xx and connection failures. Default 2. */
  retries?: number;
  retryDelayMilliseconds?: number;
}

/**
 * A failure that concerns one resource or namespace rather than the cluster: RBAC refusing a
 * list (403), an API that is not installed (404: metrics-server, Argo Rollouts), or a request
 * that timed out. It becomes a per-workload or per-namespace reason (SPEC §4).
 */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly kind: "forbidden" | "not-found" | "timeout",
  ) {
    super(message);
    this.name = "ApiProblem";
  }
}

export interface ListPage<T> {
  items: T[];
  metadata?: { _continue?: string; continue?: string };
}

const PAGE_SIZE = 500;

/** The Kubernetes APIs observation reads, all read-only (SPEC §10: get/list on workloads, pods, HPAs, metrics). */
export class KubernetesApi {
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly custom: CustomObjectsApi;
  readonly server: string;
  private readonly retries: number;
  private readonly retryDelay: number;
  private readonly timeoutSeconds: number;

  constructor(options: KubernetesConnectionOptions) {
    const kubeconfig = options.kubeconfig ?? loadDefaultKubeconfig();
    if (options.context !== undefined) {
      const known = kubeconfig.getContexts().map((context) => context.name);
      if (!known.includes(options.context)) {
        throw new InputError(`kubeconfig has no context "${options.context}"; known contexts: ${known.join(", ") || "none"}`, { field: "context" });
      }
      kubeconfig.setCurrentContext(options.context);
    }
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new InputError("kubeconfig has no current cluster; pass --context or set current-context", { field: "context" });
    this.server = cluster.server;
    this.timeoutSeconds = options.timeoutSeconds ?? 30;
    this.retries = options.retries ?? 2;
    this.retryDelay = options.retryDelayMilliseconds ?? 500;
    const timeout: Middleware = {
      pre: async (context) => {
        context.setSignal(AbortSignal.timeout(this.timeoutSeconds * 1000));
        return context;
      },
      post: async (context) => context,
    };
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeconfig },
      promiseMiddleware: [timeout],
    });
    this.apps = new AppsV1Api(configuration);
    this.batch = new BatchV1Api(configuration);
    this.core = new CoreV1Api(configuration);
    this.autoscaling = new AutoscalingV2Api(configuration);
    this.custom = new CustomObjectsApi(configuration);
  }

  /** One call, with retries for transient failures; `what` names the resource in messages ("pods in shop"). */
  async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    let lastFailure = "";
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.retryDelay * 2 ** (attempt - 1)));
      try {
        return await request();
      } catch (error) {
        const status = error instanceof ApiException ? error.code : undefined;
        const reason = apiReason(error);
        if (status === 403) throw new ApiProblem(`cannot read ${what}: forbidden (403${reason ? `: ${reason}` : ""}); grant get/list/watch on it (SPEC §10 ClusterRole)`, "forbidden");
        if (status === 404) throw new ApiProblem(`cannot read ${what}: not found (404)`, "not-found");
        if (status === 401) throw new ExternalError(`the Kubernetes API at ${this.server} rejected the credentials (401) while reading ${what}; check the kubeconfig user`);
        if (isTimeout(error)) {
          lastFailure = `timed out after ${this.timeoutSeconds}s`;
          if (attempt === this.retries) throw new ApiProblem(`cannot read ${what}: ${lastFailure} (${this.retries + 1} attempts)`, "timeout");
          continue;
        }
        if (status !== undefined && status !== 429 && status < 500) {
          throw new ExternalError(`the Kubernetes API at ${this.server} answered ${status} while reading ${what}${reason ? `: ${reason}` : ""}`);
        }
        if (status === undefined && isMalformedAnswer(error)) {
          throw new ExternalError(`the Kubernetes API at ${this.server} answered malformed JSON while reading ${what}: ${(error as Error).message}`);
        }
        lastFailure = status !== undefined ? `HTTP ${status}${reason ? ` (${reason})` : ""}` : networkReason(error);
      }
    }
    throw new ExternalError(`the Kubernetes API at ${this.server} failed while reading ${what}: ${lastFailure} (${this.retries + 1} attempts); check the context and that the cluster is reachable`);
  }

  /** Every item of a list, page by page (`limit`/`continue`), so large namespaces stay bounded per answer. */
  async listAll<T>(what: string, page: (options: { limit: number; _continue?: string }) => Promise<ListPage<T>>): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const answer = await this.call(what, () => page({ limit: PAGE_SIZE, ...(token ? { _continue: token } : {}) }));
      items.push(...(answer.items ?? []));
      token = answer.metadata?._continue || answer.metadata?.continue || undefined;
    } while (token);
    return items;
  }
}

function loadDefaultKubeconfig(): KubeConfig {
  const kubeconfig = new KubeConfig();
  try {
    kubeconfig.loadFromDefault();
  } catch (error) {
    throw new InputError(`cannot load a kubeconfig: ${(error as Error).message}; set KUBECONFIG or pass --context`);
  }
  return kubeconfig;
}

function apiReason(error: unknown): string | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body: unknown = error.body;
  const parsed = typeof body === "string" ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  const type = (error as { type?: unknown }).type;
  return name === "AbortError" || name === "TimeoutError" || type === "aborted" || type === "request-timeout";
}

function isMalformedAnswer(error: unknown): boolean {
  return error instanceof SyntaxError || (error as { type?: unknown }).type === "invalid-json";
}

function networkReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}

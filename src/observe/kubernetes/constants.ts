export const KUBERNETES_SOURCE = "kubernetes-api";
export const METRICS_SERVER_SOURCE = "metrics-server";

/** Bounds that keep a mistyped flag from sampling for a week or every millisecond. */
export const SAMPLING_LIMITS = { maxDurationSeconds: 24 * 3600, maxSamples: 10_000, maxTotalTimeoutSeconds: 7 * 24 * 3600 };

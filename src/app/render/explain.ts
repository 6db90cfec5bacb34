import { code, parseQuantity, safeMarkdown } from "../../domain/index.js";
import type { ContainerDecision, DecisionRecord } from "../../recommend/index.js";

type Resource = "cpu" | "memory";
type Derivation = NonNullable<ContainerDecision["derivation"][Resource]>;

/**
 * `/rightsize explain [CONTAINER]` (SPEC §9): the decision record's numbers as plain arithmetic a
 * reviewer can redo by hand, each said once: the statistic, the margin and where it came from,
 * the multiplication, then every step after it (rounding, caps, holds), and the reasons left.
 */
export function renderExplanation(records: readonly DecisionRecord[], container?: string): string {
  const sections: string[] = [];
  for (const record of records) {
    const containers = record.containers.filter((candidate) => container === undefined || candidate.name === container);
    for (const decision of containers) sections.push(explainContainer(record, decision));
  }
  if (sections.length === 0) {
    const names = records.flatMap((record) => record.containers.map((candidate) => code(candidate.name)));
    return `rightsize has no container ${code(container ?? "")} in this proposal; its containers are ${names.join(", ")}.`;
  }
  const [first] = records;
  const window = first ? `; usage from ${first.observation.window.from} to ${first.observation.window.to}` : "";
  return [`rightsize derived this proposal as follows (decision records of ${first?.createdAt ?? "?"}${window}):`, ...sections].join("\n\n");
}

function explainContainer(record: DecisionRecord, container: ContainerDecision): string {
  const { workload } = record;
  const lines = [`#### ${code(container.name)} in ${workload.kind} ${code(`${workload.namespace}/${workload.name}`)} (cluster ${code(workload.cluster)})`, ""];
  const rating = parseRating(container.reasons);
  lines.push(`- Safety **${container.safety}**${rating?.because ? `: ${safeMarkdown(rating.because)}` : ""}.`);
  lines.push(`- Confidence **${container.confidence.level}**: ${confidenceArithmetic(container.confidence)} of 100.`);
  const said = new Set<string>(rating ? [rating.reason] : []);
  for (const reason of container.reasons) if (reason.startsWith("confidence ")) said.add(reason);
  for (const resource of ["cpu", "memory"] as const) lines.push(...explainRequest(record, container, resource, rating?.margins ?? "", said));
  const { oomKills, restarts, throttledRatio } = container.evidence;
  // SPEC §4: evidence that was not measured is unknown, with the metric that was missing.
  const unknown = (what: string, evidence: string) => `${what} unknown (no ${code(container.evidence.unknown?.find((entry) => entry.evidence === evidence)?.metric ?? "metric")})`;
  const kills = oomKills === null ? unknown("OOM kills", "oomKills") : `${oomKills.length} OOM kill${oomKills.length === 1 ? "" : "s"}`;
  const restartText = restarts === null ? unknown("restarts", "restarts") : `${restarts} restart${restarts === 1 ? "" : "s"}`;
  const throttling = throttledRatio === null ? unknown("CPU throttling", "throttling") : `CPU throttled in ${(throttledRatio * 100).toFixed(1)}% of periods`;
  lines.push(`- Evidence: ${kills}, ${restartText}, ${throttling}.`);
  const others = container.reasons.filter((reason) => !said.has(reason));
  if (others.length > 0) lines.push("- Also:", ...others.map((reason) => `  - ${safeMarkdown(inWords(reason))}`));
  lines.push(`- Action: **${container.action}**.`);
  return lines.join("\n");
}

/** `min(window 7d: 80, coverage 99%: 98, samples 30,240: 100) − 10 (restarts 2) = 70`: the score as the formula computes it. */
function confidenceArithmetic(confidence: ContainerDecision["confidence"]): string {
  const caps = confidence.factors.filter((factor) => factor.effect === "cap");
  const penalties = confidence.factors.filter((factor) => factor.effect === "penalty");
  if (caps.length === 0 && penalties.length === 0) return `${confidence.score}`;
  const capText = caps.map((factor) => `${factor.name} ${factor.observed}: ${factor.points}`).join(", ");
  const start = caps.length === 0 ? "100" : caps.length === 1 ? capText : `min(${capText})`;
  const minus = penalties.map((factor) => ` − ${factor.points} (${factor.name} ${factor.observed})`).join("");
  const total = (caps.length === 0 ? 100 : Math.min(...caps.map((factor) => factor.points))) - penalties.reduce((sum, factor) => sum + factor.points, 0);
  const result = total === confidence.score ? `${confidence.score}` : `${Number(total.toFixed(2))}, counted as ${confidence.score}`;
  return caps.length === 1 && penalties.length === 0 ? `${capText}, so ${result}` : `${start}${minus} = ${result}`;
}

/** The rating sentence the engine writes first: `rated CAUTION: why; margins: cpu 1.15 (…), memory 1.3 (…)`. */
function parseRating(reasons: readonly string[]): { reason: string; because?: string; margins: string } | undefined {
  const reason = reasons.find((candidate) => /^rated [A-Z]+/.test(candidate));
  if (!reason) return undefined;
  const at = reason.indexOf("; margins: ");
  const head = at < 0 ? reason : reason.slice(0, at);
  const because = /^rated [A-Z]+: (.*)$/.exec(head)?.[1];
  return { reason, ...(because ? { because } : {}), margins: at < 0 ? "" : reason.slice(at + "; margins: ".length) };
}

/** One request: what is set and proposed, then the statistic, the margin, the arithmetic and each step after it. */
function explainRequest(record: DecisionRecord, container: ContainerDecision, resource: Resource, margins: string, said: Set<string>): string[] {
  const label = resource === "cpu" ? "CPU request" : "Memory request";
  const from = container.current.requests[resource];
  const to = container.recommended.requests[resource];
  const derivation = container.derivation[resource];
  if (!derivation || to === undefined) return [`- ${label}: ${from ?? "unset"}, no recommendation.`];
  const change = container.change[resource];
  const changes = container.action === "change" && to !== from;
  const headline = changes
    ? `${from ?? "unset"} now, **${to}** proposed${change === null ? "" : ` (${change > 0 ? "+" : "−"}${Math.abs(change)}%)`}`
    : `stays ${from ?? "unset"}${to !== from ? ` (${to} is not proposed)` : ""}`;
  const lines = [`- ${label}: ${headline}.`];
  const sentence = container.reasons.find((reason) => reason.startsWith(`${resource} request `));
  const steps = sentence ? requestSteps(sentence, resource) : undefined;
  // The engine's first step names the statistic as the rest of its arithmetic writes it (`p90 90m × 1.15 = 103.5m`).
  const first = steps?.[0] !== undefined ? new RegExp(`^${derivation.percentile}(?: after the step)? (\\S+) (.*)$`).exec(steps[0]) : null;
  const statistic = first ? first[1]! : readable(derivation.observed, resource);
  const of = record.observation.mode === "run-based" ? "of the per-run peaks" : "of usage";
  const after = derivation.step ? ` after the step change at ${derivation.step.at}` : "";
  lines.push(`  - The ${derivation.percentile} ${of}${after} is ${statistic}.`);
  lines.push(`  - ${marginSentence(container, resource, derivation, margins)}`);
  if (sentence && steps) {
    said.add(sentence);
    if (first) steps[0] = `${statistic} ${first[2]}`;
    // A request that is not proposed is lowered in no proposal: the step says what one would do.
    const worded = changes ? steps : steps.map((step) => step.replace(" in this proposal", " in one proposal"));
    lines.push(...worded.map((step) => `  - ${capitalised(safeMarkdown(step))}.`));
  } else {
    lines.push(`  - ${statistic} × ${derivation.margin} = ${readable(derivation.target, resource)}; after rounding, holds and bounds: ${derivation.computed}.`);
  }
  return lines;
}

/**
 * The steps of the engine's request sentence (`cpu request 500m → 250m (−50%): p90 90m × 1.15 =
 * 103.5m; rounded up to 105m (…); lowered only to 250m …`), each one; a hold says why last.
 */
function requestSteps(sentence: string, resource: Resource): string[] | undefined {
  const held = new RegExp(`^${resource} request held at (.+?) instead of (\\S+) \\((.*)\\): (.*)$`).exec(sentence);
  if (held) return arithmetic([...splitSteps(held[3]!), `held at ${held[1]} instead of ${held[2]}: ${held[4]}`]);
  const colon = sentence.indexOf(": ");
  if (colon < 0) return undefined;
  return arithmetic(splitSteps(sentence.slice(colon + 2)).map(inWords));
}

/** Steps separated by `; ` outside parentheses (a step's own note may hold one). */
function splitSteps(text: string): string[] {
  const steps: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === "(") depth++;
    else if (character === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0 && text.startsWith("; ", index)) {
      steps.push(text.slice(start, index));
      start = index + 2;
    }
  }
  return [...steps, text.slice(start)];
}

/** A step that goes on from the last one's result (`× 1.15 = 60.4m` after `… = 52.5m`) starts with that result. */
function arithmetic(steps: string[]): string[] {
  return steps.map((step, index) => {
    const previous = index > 0 ? / = (\S+)$/.exec(steps[index - 1]!) : null;
    return step.startsWith("× ") && previous ? `${previous[1]} ${step}` : step;
  });
}

/** Where the margin came from, as arithmetic: `the spread p99/p90 = 140m/90m = 1.556 is capped at 1.15`. */
function marginSentence(container: ContainerDecision, resource: Resource, derivation: Derivation, margins: string): string {
  if (derivation.marginFrom === "oom-rule") return "No margin: after an OOM kill the OOM rule sizes memory, with no margin on top.";
  const bounds = marginBounds(margins, resource);
  const variability = derivation.variability;
  const spread = variability ? spreadText(container, resource, derivation, variability) : undefined;
  if (derivation.marginFrom === "rating" || !variability || !spread) {
    const rating = container.safetyByResource?.[resource] ?? container.safety;
    const beside = spread && bounds?.variable !== undefined ? `; the spread ${spread} would give ${bounds.variable}` : "";
    return `The margin is ${derivation.margin}, the ${rating} rating's for ${resource === "cpu" ? "CPU" : "memory"}${beside}.`;
  }
  const headroom = bounds && bounds.headroom !== 1 ? ` × headroom ${bounds.headroom} = ${bounds.raw}` : "";
  const raw = bounds ? bounds.raw : variability.ratio;
  const clamp =
    bounds && derivation.margin < raw
      ? ` is capped at ${derivation.margin}`
      : bounds && derivation.margin > raw && derivation.margin === bounds.min
        ? ` is raised to the minimum ${derivation.margin}`
        : derivation.margin !== raw
          ? ` rounds up to ${derivation.margin}`
          : "";
  return `The spread ${spread}${headroom}${clamp}: the margin is ${derivation.margin}.`;
}

/** `p99/p90 = 140m/90m = 1.556` (CPU: the variability percentile over the sizing one; memory the other way round, and its drift when the peaks rise). */
function spreadText(container: ContainerDecision, resource: Resource, derivation: Derivation, variability: NonNullable<Derivation["variability"]>): string | undefined {
  const usage = container.usage[resource];
  const value = (name: string) => (usage ? (usage as Record<string, number>)[name] : undefined);
  const [upper, lower] = resource === "cpu" ? [variability.percentile, derivation.percentile] : [derivation.percentile, variability.percentile];
  const high = value(upper);
  const low = value(lower);
  const numbers = high !== undefined && low !== undefined ? ` = ${show(high, resource)}/${show(low, resource)}` : "";
  const ratio = `${upper}/${lower}${numbers} = ${Number(variability.ratio.toFixed(3))}`;
  if (variability.drift !== undefined && variability.drift > variability.ratio) return `${ratio}, and the rise of the daily peaks ${Number(variability.drift.toFixed(3))}, the larger,`;
  return ratio;
}

/** The headroom, the unclamped margin and the bounds from the engine's margin sentence for a resource, when it states them. */
function marginBounds(margins: string, resource: Resource): { headroom: number; raw: number; min: number; max: number; variable?: number } | undefined {
  const start = margins.indexOf(`${resource} `);
  if (start < 0) return undefined;
  const text = resource === "cpu" ? margins.slice(start, margins.indexOf(", memory ") < 0 ? undefined : margins.indexOf(", memory ")) : margins.slice(start);
  const match = /× ([\d.]+) = ([\d.]+), within ([\d.]+)–([\d.]+)/.exec(text);
  if (!match) return undefined;
  const variable = /above its variability margin ([\d.]+)/.exec(text)?.[1];
  return { headroom: Number(match[1]), raw: Number(match[2]), min: Number(match[3]), max: Number(match[4]), ...(variable ? { variable: Number(variable) } : {}) };
}

/** `256Mi → 356Mi` as words: `from 256Mi to 356Mi`. */
function inWords(text: string): string {
  return text.replace(/(\S+) → (\S+)/g, "from $1 to $2");
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A derivation's exact quantity (`126500u`) as a person reads it: millicores or cores, MiB or GiB. */
function readable(text: string, resource: Resource): string {
  return show(Number(parseQuantity(text).nanos) / 1e9, resource);
}

function show(value: number, resource: Resource): string {
  if (resource === "cpu") return value >= 1 ? `${Number(value.toFixed(3))}` : `${Number((value * 1000).toFixed(1))}m`;
  const mebibytes = value / 1024 ** 2;
  return mebibytes >= 1024 ? `${Number((mebibytes / 1024).toFixed(2))}Gi` : `${Number(mebibytes.toFixed(1))}Mi`;
}

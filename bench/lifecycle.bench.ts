/**
 * What living with rightsize looks like (SPEC §8): weeks of the app on a loopback GitHub, a
 * scripted cluster and scripted people (bench/lifecycle/simulation.ts), every invariant of a
 * proposal's life checked after every step. Prints, per seed: when each workload reached its
 * steady recommendation, the monthly cost of the requests each week, OOM kills and CPU above the
 * request after rightsize's cuts, API calls per week, and pull requests opened, updated,
 * declined, rebased and merged.
 *
 *   npx tsx bench/lifecycle.bench.ts [weeks] [seeds]      default: 10 weeks, seeds 1,2,3
 */
import { simulate } from "./lifecycle/simulation.js";

const WEEKS = Number(process.argv[2] ?? 10);
const SEEDS = (process.argv[3] ?? "1,2,3").split(",").map(Number);

for (const seed of SEEDS) {
  const result = await simulate({ weeks: WEEKS, seed, onWeek: (line) => process.stderr.write(`seed ${seed} ${line}\n`) });
  const weekly = result.perWeek;
  console.log(`\nseed ${seed}: ${WEEKS} weeks in ${result.seconds.toFixed(0)} s, requests at the start ${result.initialMonthlyCost.toFixed(2)} USD a month, every invariant held (${Object.entries(result.checks).map(([name, count]) => `${name}: ${count}`).join("; ")})`);
  console.log("| week | requests, USD a month | saved vs start | API calls | opened | updated | declined | rebased | merged | OOM kills | CPU core-h above request |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const week of weekly) {
    const saved = (1 - week.monthlyCost / result.initialMonthlyCost) * 100;
    console.log(`| ${week.week} | ${week.monthlyCost.toFixed(2)} | ${saved.toFixed(1)}% | ${week.apiCalls} | ${week.opened} | ${week.updated} | ${week.declined} | ${week.rebased} | ${week.merged} | ${week.oomKills} | ${week.cpuAboveRequest.toFixed(1)} |`);
  }
  const steady = Object.entries(result.steadyWeek).map(([name, week]) => `${name} ${week === 0 ? "unchanged" : `week ${week}`}`);
  console.log(`last change merged: ${steady.join(", ")}`);
  console.log(`after rightsize's cuts: ${result.oomKillsAfterCuts} OOM kills, ${result.cpuAboveRequestAfterCuts.toFixed(1)} CPU core-hours above the request`);
  console.log(`where the time went: ${Object.entries(result.timings).map(([step, seconds]) => `${step.trim()} ${seconds.toFixed(1)} s`).join(", ")}`);
}

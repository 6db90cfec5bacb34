/**
 * SPEC §11 `rightsize backtest`: replay a policy over history before trusting it. Pure: the
 * observed part (observations), the replayed part (measured usage) and the policies in, a report
 * out; an offline usage trace becomes both parts here. Reading Prometheus is `src/observe`'s.
 */
export { observeTrace, replayOfTrace, traceWindow, type BacktestWindow } from "./trace.js";
export {
  runBacktest,
  scoreReplay,
  sizingOf,
  type BacktestInput,
  type BacktestPolicy,
  type BacktestReport,
  type ContainerResult,
  type PolicyResult,
  type ReplayScore,
  type ReplaySizing,
  type ReplayUsage,
  type Totals,
  type WorkloadResult,
} from "./replay.js";
export { renderBacktestMarkdown, renderBacktestText } from "./report.js";

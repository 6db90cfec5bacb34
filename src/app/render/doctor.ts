import { DOCTOR_MARKER, renderDoctorMarkdown, type DoctorReport } from "../../pipeline/index.js";

/**
 * `/rightsize doctor` (SPEC §4): the report as a reply. Store answers and error texts are data:
 * endpoints are redacted and markup made inert; the hidden marker lets the dashboard link to the
 * latest result.
 */
export function renderDoctorReply(report: DoctorReport, redact: (text: string) => string): string {
  const inert = (text: string) => redact(text).replace(/[<>]/g, (character) => (character === "<" ? "&lt;" : "&gt;")).replace(/@/g, "@\u200b").replace(/`/g, "'");
  const opening = report.canPropose ? "rightsize checked the metrics of this repository's clusters." : "rightsize checked the metrics of this repository's clusters: something essential is missing.";
  return `${opening}\n\n${renderDoctorMarkdown(report, inert)}\n\n${DOCTOR_MARKER}`;
}

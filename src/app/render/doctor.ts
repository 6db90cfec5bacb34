import { MARKERS, renderDoctorMarkdown, type DoctorReport } from "../../pipeline/index.js";

/**
 * `/rightsize doctor` (SPEC §4): the report as a reply. The stores' addresses are redacted and
 * what they answered is rendered as inert text; the hidden marker lets the dashboard link to the
 * latest result.
 */
export function renderDoctorReply(report: DoctorReport, redact: (text: string) => string): string {
  const opening = report.canPropose ? "rightsize checked the metrics of this repository's clusters." : "rightsize checked the metrics of this repository's clusters: something essential is missing.";
  return `${opening}\n\n${renderDoctorMarkdown(report, redact)}\n\n${MARKERS.doctor}`;
}

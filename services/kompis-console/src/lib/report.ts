// The follow-up report's figures as rows for the table, and the file a download saves.
// The figures come as the contract sends them (metric, dimension, key, label, cell); a
// suppressed cell (fewer than 5 people, for partner viewers) stays suppressed here too,
// never shown as a 0.
import type { FollowUpReport } from "../gen/kompis/v1/report_pb";

export interface Figure {
  /** `metric/dimension/key`, unique within a report, such as `recruited/source/self_sign_up`. */
  id: string;
  /** The metric's name in the contract, such as `recruited`. */
  metric: string;
  /** What the metric is broken down by and the group's label; empty for a total. */
  group: string;
  /** The count, or null when the cell is suppressed. */
  value: number | null;
}

/** Every figure of `report`, in the order the service sends them. */
export function figures(report: FollowUpReport): Figure[] {
  return report.figures.map((f) => ({
    id: `${f.metric}/${f.dimension}/${f.key}`,
    metric: f.metric,
    group: f.dimension ? `${f.dimension.replace(/_/g, " ")}: ${f.label || f.key}` : "",
    value: f.cell?.cell.case === "value" ? Number(f.cell.cell.value) : null,
  }));
}

/** A download link's `href` for a file the service exported. */
export function dataUrl(contentType: string, content: Uint8Array): string {
  let binary = "";
  for (const byte of content) binary += String.fromCharCode(byte);
  return `data:${contentType};base64,${btoa(binary)}`;
}

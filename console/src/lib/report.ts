// The follow-up report's figures as rows, read from the message's own schema so that a
// figure added to the contract appears without a change here, and as CSV.
import type { DescMessage } from "@bufbuild/protobuf";

export interface Figure {
  /** The field's name in the contract, such as `participants_matched`. */
  name: string;
  value: number;
}

/** Every numeric figure of `message` (a message of `schema`), in the contract's order. */
export function figures(schema: DescMessage, message: Record<string, unknown>): Figure[] {
  return schema.fields
    .filter((f) => f.fieldKind === "scalar" && typeof message[f.localName] !== "string" && typeof message[f.localName] !== "boolean")
    .map((f) => ({ name: f.name, value: Number(message[f.localName] ?? 0) }));
}

/** The figures as CSV (RFC 4180): a header, then one `figure,value` line each. */
export function toCsv(rows: Figure[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ["figure,value", ...rows.map((r) => `${quote(r.name)},${r.value}`)].join("\r\n") + "\r\n";
}

// A select of every district, grouped by nothing but sorted by name; loaded once.
import { useEffect, useState } from "preact/hooks";
import type { District } from "../gen/kompis/v1/admin_pb";
import { admin } from "../lib/api";

let cache: Promise<District[]> | null = null;

/** Every district (all municipalities), loaded once per page load. */
export function loadDistricts(): Promise<District[]> {
  if (!cache) {
    cache = (async () => {
      const all: District[] = [];
      let pageToken = "";
      do {
        const res = await admin.listDistricts({ parent: "municipalities/-", pageSize: 500, pageToken });
        all.push(...res.districts);
        pageToken = res.nextPageToken;
      } while (pageToken);
      return all;
    })().catch((e) => {
      cache = null;
      throw e;
    });
  }
  return cache;
}

export function DistrictSelect(props: { id: string; value: string; onChange: (v: string) => void; describedBy?: string; invalid?: boolean }) {
  const [districts, setDistricts] = useState<District[]>([]);
  useEffect(() => {
    loadDistricts().then(setDistricts, () => setDistricts([]));
  }, []);
  return (
    <select id={props.id} value={props.value} aria-describedby={props.describedBy} aria-invalid={props.invalid}
      onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
      <option value="">–</option>
      {districts.map((d) => (
        <option key={d.name} value={d.name}>
          {d.displayName} ({d.name.split("/")[1]})
        </option>
      ))}
    </select>
  );
}

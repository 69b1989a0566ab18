// People's names for pages that know them by resource name only: fetched once per page
// load and shown in their own direction.
import { useEffect, useState } from "preact/hooks";
import type { PersonName } from "./gen/kompis/v1/common_pb";
import { participants } from "./lib/api";
import { PersonLabel } from "./ui";

/** A person's name as shown: the display name, else given and family name. */
export function displayName(n: PersonName | undefined): string {
  return n?.displayName || `${n?.givenName ?? ""} ${n?.familyName ?? ""}`.trim();
}

const names = new Map<string, Promise<string>>();

/** A participant's display name, fetched once per page load. */
export function nameOf(participant: string): Promise<string> {
  if (!names.has(participant)) {
    names.set(participant, participants.getParticipant({ name: participant }).then(
      (r) => displayName(r.participant?.personName),
      () => participant.split("/").pop() ?? participant,
    ));
  }
  return names.get(participant)!;
}

/** The name of participant `of` (a resource name). */
export function Name(props: { of: string }) {
  const [name, setName] = useState("…");
  useEffect(() => {
    nameOf(props.of).then(setName);
  }, [props.of]);
  return <PersonLabel name={name} />;
}

// Small shared pieces: a labelled field showing its violation, the error banner, and the
// language context.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useState } from "preact/hooks";
import { dictionaries, type Key, type Lang } from "./lib/i18n";
import { fieldError, type ShownError } from "./lib/errors";

export interface Ui {
  lang: Lang;
  chapter: string;
}
export const UiContext = createContext<Ui>({ lang: "sv", chapter: "" });

/** The translator for the current language. */
export function useT() {
  const { lang } = useContext(UiContext);
  const d = dictionaries[lang];
  return (k: Key) => d[k] as string;
}

export function useUi() {
  return useContext(UiContext);
}

let ids = 0;
function nextId(prefix: string) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A label, its control and, below, the server's violation of `field` (if any). */
export function Field(props: {
  label: string;
  field: string;
  error: ShownError | null;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}) {
  // Stable across renders, so that the label stays tied to its control.
  const [id] = useState(() => nextId("f"));
  const message = fieldError(props.error, props.field);
  const errId = message ? `${id}-err` : undefined;
  return (
    <div class="field" data-field={props.field}>
      <label for={id}>{props.label}</label>
      {props.children(id, errId, !!message)}
      {message && (
        <p class="violation" id={errId} role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

/** The request's overall error, if any. */
export function ErrorBanner(props: { error: ShownError | null }) {
  if (!props.error) return null;
  return (
    <div class="error-banner" role="alert">
      {props.error.message}
    </div>
  );
}

/** A name shown in its own direction (Arabic stays right to left inside Swedish text). */
export function PersonLabel(props: { name: string }) {
  return (
    <bdi class="person" dir="auto" title={props.name}>
      {props.name}
    </bdi>
  );
}

/** The violation of exactly `field` alone, for a group of controls. */
export function Violation(props: { field: string; error: ShownError | null }) {
  const message = props.error?.fields[props.field];
  if (!message) return null;
  return (
    <p class="violation" role="alert" data-field={props.field}>
      {message}
    </p>
  );
}

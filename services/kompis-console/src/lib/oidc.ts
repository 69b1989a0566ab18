// The production sign-in: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636, S256)
// at the identity provider whose keys kompisd trusts (KOMPIS_JWKS_*). kompisd publishes
// the provider's public settings as /console/oidc.json (KOMPIS_OIDC_*). The console is a
// public client: it holds no secret. Before the redirect it keeps the state and the code
// verifier in sessionStorage (this tab only); on the way back it checks the state,
// exchanges the code with the verifier at the token endpoint and keeps the access token
// in memory and sessionStorage, like any other sign-in.

/** The provider's public settings, as /console/oidc.json sends them. */
export interface OidcConfig {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  client_id: string;
  scopes: string;
  audience: string;
}

/** Where the pending sign-in (state and verifier) waits for the provider's answer. */
export const PENDING_KEY = "kompis.oidc.pending";

/** The part of the Web Storage API the flow uses. */
export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The production sign-in's settings, or null when kompisd offers none (404). */
export async function loadOidcConfig(fetchFn: Fetch = fetch): Promise<OidcConfig | null> {
  try {
    const res = await fetchFn("/console/oidc.json");
    if (!res.ok) return null;
    const c = (await res.json()) as OidcConfig;
    return c.authorization_endpoint && c.token_endpoint && c.client_id ? c : null;
  } catch {
    return null;
  }
}

/** `bytes` as base64url without padding. */
export function base64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random, unguessable string of `bytes` random bytes (base64url: 43 characters for 32). */
export function randomToken(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of `verifier`: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The callback's own address: the console's root, where the provider sends the browser back. */
export function redirectUri(origin: string): string {
  return `${origin}/`;
}

/**
 * Starts a sign-in: remembers a fresh state and code verifier in `store` and returns the
 * provider's authorization URL to send the browser to.
 */
export async function startSignIn(config: OidcConfig, redirect: string, store: KeyValueStore): Promise<string> {
  const state = randomToken();
  const verifier = randomToken();
  store.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
  const url = new URL(config.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.client_id);
  url.searchParams.set("redirect_uri", redirect);
  url.searchParams.set("scope", config.scopes || "openid");
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", await codeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (config.audience) url.searchParams.set("audience", config.audience);
  return url.toString();
}

/** Whether `search` (the address's query) is the provider's answer to a sign-in. */
export function isCallback(search: string): boolean {
  const q = new URLSearchParams(search);
  return q.has("state") && (q.has("code") || q.has("error"));
}

/** Why a sign-in at the provider did not give a token. */
export class SignInError extends Error {}

/**
 * Finishes a sign-in from the provider's answer `search`: checks that its state is the one
 * this tab sent (once: the pending sign-in is forgotten whatever happens), then exchanges
 * the code and the verifier for the access token, which it returns.
 */
export async function finishSignIn(
  config: OidcConfig,
  search: string,
  redirect: string,
  store: KeyValueStore,
  fetchFn: Fetch = fetch,
): Promise<string> {
  const q = new URLSearchParams(search);
  const raw = store.getItem(PENDING_KEY);
  store.removeItem(PENDING_KEY);
  let pending: { state?: unknown; verifier?: unknown } = {};
  try {
    pending = raw ? JSON.parse(raw) : {};
  } catch {
    pending = {};
  }
  if (typeof pending.state !== "string" || typeof pending.verifier !== "string" || q.get("state") !== pending.state) {
    throw new SignInError("state");
  }
  if (q.has("error")) throw new SignInError(q.get("error") ?? "error");
  const code = q.get("code");
  if (!code) throw new SignInError("code");
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: redirect,
    client_id: config.client_id,
    code_verifier: pending.verifier,
  });
  const res = await fetchFn(config.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
  if (!res.ok) throw new SignInError(`token endpoint ${res.status}`);
  const json = (await res.json()) as { access_token?: unknown };
  if (typeof json.access_token !== "string" || !json.access_token) throw new SignInError("access_token");
  return json.access_token;
}

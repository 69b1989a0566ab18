import { describe, expect, it } from "vitest";
import {
  PENDING_KEY, codeChallenge, finishSignIn, isCallback, loadOidcConfig, randomToken, startSignIn, type OidcConfig,
} from "./oidc";

const config: OidcConfig = {
  issuer: "https://id.example.org",
  authorization_endpoint: "https://id.example.org/authorize?tenant=t1",
  token_endpoint: "https://id.example.org/token",
  client_id: "kompis-console",
  scopes: "openid profile",
  audience: "kompis-api",
};

function memoryStore() {
  const m = new Map<string, string>();
  return {
    m,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

describe("sign-in with PKCE", () => {
  it("derives the S256 challenge of RFC 7636's example", async () => {
    expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it("makes fresh 43-character base64url states and verifiers", () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(a);
  });

  it("sends the browser to the provider with the challenge of the verifier it keeps, and its state", async () => {
    const store = memoryStore();
    const url = new URL(await startSignIn(config, "https://console.example.org/", store));
    const pending = JSON.parse(store.m.get(PENDING_KEY)!);
    expect(url.origin + url.pathname).toBe("https://id.example.org/authorize");
    const q = Object.fromEntries(url.searchParams);
    expect(q).toEqual({
      tenant: "t1",
      response_type: "code",
      client_id: "kompis-console",
      redirect_uri: "https://console.example.org/",
      scope: "openid profile",
      state: pending.state,
      code_challenge: await codeChallenge(pending.verifier),
      code_challenge_method: "S256",
      audience: "kompis-api",
    });
    expect(q.code_challenge).not.toBe(pending.verifier);
  });

  it("exchanges the code with the verifier when the state is the one sent, and only once", async () => {
    const store = memoryStore();
    const url = new URL(await startSignIn(config, "https://console.example.org/", store));
    const { verifier } = JSON.parse(store.m.get(PENDING_KEY)!);
    const search = `?code=the-code&state=${url.searchParams.get("state")}`;
    expect(isCallback(search)).toBe(true);
    expect(isCallback("?code=x")).toBe(false);
    const calls: [string, RequestInit | undefined][] = [];
    const fetchFn = async (u: string, init?: RequestInit) => {
      calls.push([u, init]);
      return new Response(JSON.stringify({ access_token: "a.b.c", token_type: "Bearer" }), { status: 200 });
    };
    expect(await finishSignIn(config, search, "https://console.example.org/", store, fetchFn)).toBe("a.b.c");
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toBe("https://id.example.org/token");
    expect(Object.fromEntries(new URLSearchParams(String(calls[0][1]?.body)))).toEqual({
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: "https://console.example.org/",
      client_id: "kompis-console",
      code_verifier: verifier,
    });
    expect(store.m.has(PENDING_KEY)).toBe(false);
    // The same answer again (a replay, or a reload) finds no pending sign-in.
    await expect(finishSignIn(config, search, "https://console.example.org/", store, fetchFn)).rejects.toThrow("state");
    expect(calls).toHaveLength(1);
  });

  it("refuses an answer whose state this tab did not send, without calling the token endpoint", async () => {
    const store = memoryStore();
    await startSignIn(config, "https://console.example.org/", store);
    let called = false;
    const fetchFn = async () => {
      called = true;
      return new Response("{}");
    };
    await expect(finishSignIn(config, "?code=c&state=forged", "https://console.example.org/", store, fetchFn)).rejects.toThrow("state");
    expect(called).toBe(false);
    expect(store.m.has(PENDING_KEY)).toBe(false);
  });

  it("reports the provider's refusal and a token endpoint's failure", async () => {
    const store = memoryStore();
    let state = new URL(await startSignIn(config, "r", store)).searchParams.get("state");
    await expect(finishSignIn(config, `?error=access_denied&state=${state}`, "r", store)).rejects.toThrow("access_denied");
    state = new URL(await startSignIn(config, "r", store)).searchParams.get("state");
    const failing = async () => new Response("no", { status: 400 });
    await expect(finishSignIn(config, `?code=c&state=${state}`, "r", store, failing)).rejects.toThrow("400");
  });

  it("reads the settings kompisd publishes, and none when it has none", async () => {
    const ok = async () => new Response(JSON.stringify(config), { status: 200 });
    expect(await loadOidcConfig(ok)).toEqual(config);
    expect(await loadOidcConfig(async () => new Response("", { status: 404 }))).toBeNull();
    expect(await loadOidcConfig(async () => { throw new Error("offline"); })).toBeNull();
  });
});

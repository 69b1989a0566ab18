// The end-to-end harness: a fresh database, a kompisd with the demo data serving the
// built console (development mode, own Redis prefix, ports chosen by the system), and
// Debian's Chromium driven by playwright-core. No browser is downloaded.
import { spawn, execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const consoleDir = resolve(here, "..");
const root = resolve(consoleDir, "..", "..");
const require = createRequire(import.meta.url);

export const KOMPISD = process.env.KOMPISD ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "kompisd");
// The PostgreSQL server of DATABASE_URL (its database is not used: each run makes its own).
const PG = (() => {
  const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  url.pathname = "";
  return url.toString().replace(/\/$/, "");
})();
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const RESULTS = join(consoleDir, "test-results");

function psql(sql) {
  execFileSync("psql", [`${PG}/postgres`, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: ["ignore", "ignore", "inherit"] });
}

/** Starts kompisd on a fresh database; resolves once it listens. */
export async function startServer(extraEnv = {}) {
  const db = `kompis_e2e_${randomBytes(6).toString("hex")}`;
  psql(`CREATE DATABASE ${db}`);
  const env = {
    ...process.env,
    DATABASE_URL: `${PG}/${db}`,
    REDIS_URL,
    KOMPIS_REDIS_PREFIX: `e2e-${db}`,
    KOMPIS_GRPC_ADDR: "127.0.0.1:0",
    KOMPIS_METRICS_ADDR: "off",
    KOMPIS_DEMO_DATA: "true",
    KOMPIS_ENV: "development",
    KOMPIS_CONSOLE_DIR: join(consoleDir, "dist"),
    RUST_LOG: process.env.RUST_LOG ?? "warn",
    ...extraEnv,
  };
  const child = spawn(KOMPISD, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`kompisd did not start within 300 s:\n${log}`)), 300_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/kompis is listening on ([0-9.]+:[0-9]+)/);
      if (m) {
        clearTimeout(timer);
        ok(`http://${m[1]}`);
      }
    });
    child.on("exit", (code) => fail(new Error(`kompisd exited (${code}):\n${log}`)));
  });
  return {
    url,
    db,
    kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.on("exit", ok)));
      try {
        psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      } catch {
        // Leaving a test database behind is not a test failure.
      }
    },
  };
}

/** A development token from `kompisd token`, as a coordinator would paste it. */
export function cliToken(...args) {
  return execFileSync(KOMPISD, ["token", ...args], { encoding: "utf8" }).trim();
}

/** How long a page waits for an element or a navigation before the test fails. */
const ACTION_TIMEOUT_MS = 90_000;

/** Debian's Chromium, headless, with no background networking. Playwright gives it a new,
 * empty profile (--user-data-dir) of its own and removes it on close. */
export async function startBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  // Every page waits up to ACTION_TIMEOUT_MS for what it expects (Playwright's default
  // is 30 s): on a machine busy with other work (CI building beside it) the first
  // render of a page can take longer, and a slow machine is not a failure of the console.
  const open = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await open(options);
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    return page;
  };
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core (WCAG 2 A and AA) on the page; throws on a serious or critical violation. */
export async function checkAccessibility(page, what) {
  // Evaluated through the DevTools protocol, so the console's CSP (no inline scripts) stays on.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length) throw new Error(`axe on ${what}: ${JSON.stringify(serious, null, 1)}`);
  return result;
}

/** Saves a full-page screenshot under test-results/. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage });
}

/** The page does not scroll sideways (long or right-to-left names do not break the layout). */
export async function assertNoSidewaysScroll(page, what) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (scroll > width + 1) throw new Error(`${what} scrolls sideways: ${scroll} > ${width}`);
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Calls a unary RPC over gRPC-Web from Node, as the app would, with a hand-encoded
 * request (`fields`: [number, string | int] pairs, strings as length-delimited, ints as
 * varints below 128). Resolves to the grpc-status. */
export async function grpcWebCall(url, path, token, fields) {
  const parts = [];
  for (const [number, value] of fields) {
    if (typeof value === "string") {
      const bytes = Buffer.from(value, "utf8");
      parts.push(Buffer.from([(number << 3) | 2, bytes.length]), bytes);
    } else {
      parts.push(Buffer.from([(number << 3) | 0, value]));
    }
  }
  const message = Buffer.concat(parts);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${token}` },
    body: frame,
  });
  const inHeaders = res.headers.get("grpc-status");
  const body = Buffer.from(await res.arrayBuffer());
  // The trailers frame (flag 0x80) carries the status of a call that sent a message.
  let status = inHeaders;
  for (let i = 0; i + 5 <= body.length; ) {
    const len = body.readUInt32BE(i + 1);
    if (body[i] & 0x80) status = /grpc-status:\s*(\d+)/.exec(body.subarray(i + 5, i + 5 + len).toString())?.[1] ?? status;
    i += 5 + len;
  }
  return Number(status);
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/**
 * A tiny OpenID provider on loopback, for the console's production sign-in: its
 * authorization endpoint sends the browser straight back with a code (no login form), its
 * token endpoint exchanges the code, once and only with the PKCE verifier whose S256
 * challenge came with it, for an RS256 access token in kompis's claims, and its JWKS
 * publishes the signing key. `env` configures kompisd for it (KOMPIS_JWKS_*, KOMPIS_OIDC_*).
 */
export async function startIdentityProvider(claims) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `e2e-${randomBytes(4).toString("hex")}`;
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] });
  const codes = new Map();
  const issued = [];
  let base = "";
  const server = createServer((req, res) => {
    const url = new URL(req.url, base);
    const cors = { "access-control-allow-origin": req.headers.origin ?? "*", "cache-control": "no-store" };
    if (req.method === "GET" && url.pathname === "/jwks") {
      res.writeHead(200, { "content-type": "application/json" }).end(jwks);
    } else if (req.method === "GET" && url.pathname === "/authorize") {
      const q = url.searchParams;
      if (q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("state")) {
        res.writeHead(400).end("bad authorization request");
        return;
      }
      const code = randomBytes(16).toString("hex");
      codes.set(code, { challenge: q.get("code_challenge"), redirect: q.get("redirect_uri"), client: q.get("client_id") });
      const back = new URL(q.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state"));
      res.writeHead(302, { location: back.toString() }).end();
    } else if (req.method === "POST" && url.pathname === "/token") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const f = new URLSearchParams(body);
        const grant = codes.get(f.get("code") ?? "");
        codes.delete(f.get("code") ?? "");
        const verifier = f.get("code_verifier") ?? "";
        if (!grant || f.get("grant_type") !== "authorization_code" || grant.redirect !== f.get("redirect_uri") ||
            grant.client !== f.get("client_id") || b64url(createHash("sha256").update(verifier).digest()) !== grant.challenge) {
          res.writeHead(400, { ...cors, "content-type": "application/json" }).end('{"error":"invalid_grant"}');
          return;
        }
        const now = Math.floor(Date.now() / 1000);
        const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
        const payload = b64url(JSON.stringify({ ...claims, iss: base, aud: "kompis-api", iat: now, exp: now + 600 }));
        const token = `${header}.${payload}.${b64url(sign("sha256", Buffer.from(`${header}.${payload}`), privateKey))}`;
        issued.push(token);
        res.writeHead(200, { ...cors, "content-type": "application/json" })
          .end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 600 }));
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  return {
    issued,
    env: {
      KOMPIS_JWKS_URL: `${base}/jwks`,
      KOMPIS_JWKS_ISSUER: base,
      KOMPIS_OIDC_AUTHORIZATION_ENDPOINT: `${base}/authorize`,
      KOMPIS_OIDC_TOKEN_ENDPOINT: `${base}/token`,
      KOMPIS_OIDC_CLIENT_ID: "kompis-console",
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

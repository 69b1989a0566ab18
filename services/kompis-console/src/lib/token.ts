// What the console needs to know of a bearer token: who signed in, for which chapter,
// until when. Read from the token's payload without checking its signature: the
// server checks every call; this only shapes the screens.

/** The parts of a kompis token the console uses. */
export interface Session {
  token: string;
  role: string;
  chapter?: string;
  organization?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The session of `token`, or null when it is not a readable, unexpired JWT. */
export function readToken(token: string, nowSeconds = Date.now() / 1000): Session | null {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    if (typeof claims.role !== "string" || typeof claims.exp !== "number") return null;
    if (claims.exp <= nowSeconds) return null;
    return {
      token: token.trim(),
      role: claims.role,
      chapter: typeof claims.chapter === "string" ? claims.chapter : undefined,
      organization: typeof claims.organization === "string" ? claims.organization : undefined,
      exp: claims.exp,
    };
  } catch {
    return null;
  }
}

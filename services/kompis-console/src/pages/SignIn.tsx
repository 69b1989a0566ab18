// Sign-in: at the identity provider (when kompisd publishes its settings), by pasting a
// token, or (development only) by choosing a role and chapter and letting the server mint
// one. The provider sends the browser back here, with the code, to finish its sign-in.
import { useEffect, useState } from "preact/hooks";
import { devSignIn, devSignInAvailable } from "../lib/api";
import { finishSignIn, isCallback, loadOidcConfig, redirectUri, startSignIn, type OidcConfig } from "../lib/oidc";
import { readToken, type Session } from "../lib/token";
import { useT } from "../ui";

export function SignIn(props: { onSignIn: (s: Session) => void }) {
  const t = useT();
  const [token, setToken] = useState("");
  const [bad, setBad] = useState(false);
  const [dev, setDev] = useState(false);
  const [role, setRole] = useState("coordinator");
  const [chapter, setChapter] = useState("botkyrka");
  const [devError, setDevError] = useState("");
  const [oidc, setOidc] = useState<OidcConfig | null>(null);
  const [oidcError, setOidcError] = useState(false);
  useEffect(() => {
    devSignInAvailable().then(setDev);
    loadOidcConfig().then(async (config) => {
      setOidc(config);
      if (!config || !isCallback(location.search)) return;
      const search = location.search;
      // The code is used once: it leaves the address before anything else happens.
      history.replaceState(null, "", `${location.pathname}${location.hash}`);
      try {
        const s = readToken(await finishSignIn(config, search, redirectUri(location.origin), sessionStorage));
        if (!s) throw new Error("token");
        props.onSignIn(s);
      } catch {
        setOidcError(true);
      }
    });
  }, []);

  const useProvider = async () => {
    if (!oidc) return;
    location.assign(await startSignIn(oidc, redirectUri(location.origin), sessionStorage));
  };

  const usePasted = (e: Event) => {
    e.preventDefault();
    const s = readToken(token);
    setBad(!s);
    if (s) props.onSignIn(s);
  };
  const useDev = async (e: Event) => {
    e.preventDefault();
    setDevError("");
    try {
      const s = readToken(await devSignIn(role, chapter));
      if (s) props.onSignIn(s);
    } catch (err) {
      setDevError(String((err as Error).message));
    }
  };

  return (
    <div class="two">
      <form onSubmit={usePasted} aria-labelledby="signin-h">
        <h1 id="signin-h">{t("signIn")}</h1>
        {oidc && (
          <div class="field">
            <button type="button" onClick={useProvider}>{t("providerSignIn")}</button>
            {oidcError && <p class="violation" role="alert">{t("providerSignInFailed")}</p>}
          </div>
        )}
        <div class="field">
          <label for="token">{t("token")}</label>
          <textarea id="token" rows={5} value={token} aria-invalid={bad} aria-describedby="token-help"
            onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} />
          <p id="token-help" class="muted">{t("tokenHelp")}</p>
          {bad && <p class="violation" role="alert">{t("tokenInvalid")}</p>}
        </div>
        <button type="submit">{t("signIn")}</button>
      </form>
      {dev && (
        <form onSubmit={useDev} aria-labelledby="dev-h">
          <h2 id="dev-h">{t("devSignIn")}</h2>
          <p class="muted">{t("devSignInHelp")}</p>
          <div class="field">
            <label for="dev-role">{t("role")}</label>
            <select id="dev-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
              <option value="coordinator">coordinator</option>
              <option value="administrator">administrator</option>
              <option value="partner_viewer">partner_viewer</option>
            </select>
          </div>
          <div class="field">
            <label for="dev-chapter">{t("chapter")}</label>
            <input id="dev-chapter" value={chapter} onInput={(e) => setChapter((e.target as HTMLInputElement).value)} />
          </div>
          {devError && <p class="violation" role="alert">{devError}</p>}
          <button type="submit">{t("devSignIn")}</button>
        </form>
      )}
    </div>
  );
}

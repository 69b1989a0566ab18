// Sign-in: paste a token, or (development only) choose a role and chapter and let the
// server mint one.
import { useEffect, useState } from "preact/hooks";
import { devSignIn, devSignInAvailable } from "../lib/api";
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
  useEffect(() => {
    devSignInAvailable().then(setDev);
  }, []);

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

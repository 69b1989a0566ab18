// The coordinator console: sign-in, then the pages, routed by the URL's hash
// (`#/referrals`), so that kompisd serves one index.html for all of them.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { setBearer } from "./lib/api";
import { dictionaries, initialLang, type Lang } from "./lib/i18n";
import { readToken, type Session } from "./lib/token";
import { UiContext } from "./ui";
import { SignIn } from "./pages/SignIn";
import { Referrals } from "./pages/Referrals";
import { Search } from "./pages/Search";
import { Register } from "./pages/Register";
import { Interviews } from "./pages/Interviews";
import { RecordInterview } from "./pages/RecordInterview";
import { WaitingList } from "./pages/WaitingList";
import { Matching } from "./pages/Matching";
import { Activities } from "./pages/Activities";
import { Reports } from "./pages/Reports";
import { Suggestions } from "./pages/Suggestions";
import { Settings } from "./pages/Settings";
import { Duplicates } from "./pages/Duplicates";

const TOKEN_KEY = "kompis.token";
const LANG_KEY = "kompis.lang";

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

const PAGES = [
  ["#/referrals", "referrals"],
  ["#/search", "search"],
  ["#/register", "register"],
  ["#/duplicates", "duplicates"],
  ["#/interviews", "interviews"],
  ["#/waiting", "waitingList"],
  ["#/matching", "matching"],
  ["#/activities", "activities"],
  ["#/reports", "reports"],
  ["#/settings", "settings"],
] as const;

function App() {
  const [lang, setLang] = useState<Lang>(initialLang(localStorage.getItem(LANG_KEY)));
  const [session, setSession] = useState<Session | null>(() => readToken(sessionStorage.getItem(TOKEN_KEY) ?? ""));
  const hash = useHash();
  const t = dictionaries[lang];
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t.appName;
  }, [lang]);
  setBearer(session?.token ?? "");

  const signIn = (s: Session) => {
    sessionStorage.setItem(TOKEN_KEY, s.token);
    setSession(s);
    location.hash = "#/referrals";
  };
  const signOut = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    setSession(null);
  };
  const chooseLang = (l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    setLang(l);
  };

  const [path, query] = hash.split("?");
  // The menu entry a page belongs to (recording an interview is part of interviews).
  const section = path === "#/record" ? "#/interviews" : path === "#/suggest" ? "#/matching" : PAGES.some(([h]) => h === path) ? path : "#/referrals";
  const params = new URLSearchParams(query ?? "");
  let page;
  if (!session) page = <SignIn onSignIn={signIn} />;
  else if (path === "#/search") page = <Search />;
  else if (path === "#/register") page = <Register />;
  else if (path === "#/interviews") page = <Interviews participant={params.get("participant") ?? ""} />;
  else if (path === "#/record") page = <RecordInterview name={params.get("name") ?? ""} />;
  else if (path === "#/waiting") page = <WaitingList />;
  else if (path === "#/matching") page = <Matching />;
  else if (path === "#/suggest") page = <Suggestions participant={params.get("participant") ?? ""} />;
  else if (path === "#/activities") page = <Activities />;
  else if (path === "#/reports") page = <Reports role={session.role} />;
  else if (path === "#/duplicates") page = <Duplicates />;
  else if (path === "#/settings") page = <Settings role={session.role} />;
  else page = <Referrals />;

  return (
    <UiContext.Provider value={{ lang, chapter: session?.chapter ?? "" }}>
      <a class="skip" href="#main">
        {lang === "sv" ? "Till innehållet" : "Skip to content"}
      </a>
      <header class="top">
        <span class="brand">{t.appName}</span>
        {session && (
          <nav aria-label={t.nav}>
            <ul>
              {PAGES.map(([href, key]) => (
                <li key={href}>
                  <a href={href} aria-current={section === href ? "page" : undefined}>
                    {t[key]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="top-right">
          <label for="lang">{t.language}</label>
          <select id="lang" value={lang} onChange={(e) => chooseLang((e.target as HTMLSelectElement).value as Lang)}>
            <option value="sv">Svenska</option>
            <option value="en">English</option>
          </select>
          {session && (
            <>
              <span class="who">
                {t.signedInAs} {session.role}
                {session.chapter ? ` · ${session.chapter}` : ""}
              </span>
              <button type="button" onClick={signOut}>
                {t.signOut}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </UiContext.Provider>
  );
}

render(<App />, document.getElementById("app")!);

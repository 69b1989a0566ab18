// End-to-end tests of the console in headless Chromium against a real kompisd with the
// demo data. Run with `npm run e2e` after `npm run build` and a build of kompisd
// (KOMPISD names the binary; default target/debug/kompisd). Screenshots and the axe
// results go to services/kompis-console/test-results/.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  RESULTS, assertNoSidewaysScroll, checkAccessibility, cliToken, expect, grpcWebCall, screenshot, startBrowser, startServer,
} from "./harness.mjs";

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

/** Opens the console and signs in through the development sign-in, in `lang`. */
async function signIn(ctx, lang = "sv") {
  const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.addInitScript((l) => localStorage.setItem("kompis.lang", l), lang);
  await page.goto(ctx.url);
  await page.getByRole("button", { name: lang === "sv" ? "Utvecklingsinloggning" : "Development sign-in" }).click();
  await page.getByRole("heading", { name: lang === "sv" ? "Hänvisningar" : "Referrals" }).waitFor();
  return page;
}

/** The errors the page shows, with the fields they belong to. */
async function problems(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".violation, .error-banner")].map((e) => `${e.closest("[data-field]")?.getAttribute("data-field") ?? ""}: ${e.textContent}`),
  );
}

/** Screenshot and accessibility check of the page as it is now. */
async function visit(page, name, options = {}) {
  await screenshot(page, name, options);
  const minor = await checkAccessibility(page, name);
  writeFileSync(join(RESULTS, `${name}.axe.json`), JSON.stringify(minor, null, 1));
  await assertNoSidewaysScroll(page, name);
}

test("a coordinator signs in with a pasted token, and the development sign-in exists in development", async (ctx) => {
  const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.goto(ctx.url);
  await page.getByRole("heading", { name: "Logga in" }).waitFor();
  await page.getByRole("heading", { name: "Utvecklingsinloggning" }).waitFor();
  await visit(page, "01-sign-in");
  await page.getByLabel("Token").fill("not-a-token");
  await page.getByRole("button", { name: "Logga in", exact: true }).click();
  await page.getByText("Token är ogiltig eller har gått ut.").waitFor();
  await page.getByLabel("Token").fill(cliToken("--role", "coordinator", "--chapter", "botkyrka"));
  await page.getByRole("button", { name: "Logga in", exact: true }).click();
  await page.getByRole("heading", { name: "Hänvisningar" }).waitFor();
  await page.getByText("Inloggad som coordinator · botkyrka").waitFor();
  // The user's language, chosen in the header, stays chosen.
  await page.getByLabel("Språk").selectOption("en");
  await page.getByRole("heading", { name: "Referrals" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Referrals" }).waitFor();
  await page.close();
});

test("the server's field violations are shown next to their fields, in the user's language", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("link", { name: "Registrera person" }).click();
  await page.getByLabel("Födelseår").fill("1890");
  await page.getByLabel("E-post").fill("not-an-address");
  await page.getByRole("button", { name: "Spara" }).click();
  await page.getByText("Några fält behöver rättas.").waitFor();
  const givenName = page.locator('[data-field="participant.person_name.given_name"] .violation');
  await givenName.waitFor();
  const email = page.locator('[data-field="participant.contact.email"] .violation');
  await email.waitFor();
  expect(await page.getByLabel("E-post").getAttribute("aria-invalid") === "true", "the e-mail field is marked invalid");
  await visit(page, "03-register-errors-sv");
  await page.getByLabel("Språk").selectOption("en");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Some fields need correcting.").waitFor();
  await visit(page, "03-register-errors-en");
  await page.close();
});

test("a coordinator takes a referral through interview to the waiting list", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("button", { name: /^Nya \(\d+\)$/ }).waitFor();
  await page.locator("tr[data-referral]").first().waitFor();
  await visit(page, "02-referrals");
  const row = page.locator("tr[data-referral]").filter({ has: page.getByRole("button", { name: "Markera kontaktad" }) }).first();
  const referral = await row.getAttribute("data-referral");
  const person = (await row.locator("bdi").innerText()).trim();
  await row.getByRole("button", { name: "Markera kontaktad" }).click();
  await page.getByRole("button", { name: /^Kontaktade/ }).click();
  const contacted = page.locator(`tr[data-referral="${referral}"]`);
  await contacted.waitFor();
  await contacted.getByRole("button", { name: "Registrera som deltagare" }).click();

  // Converted: the interview page opens with the new participant filled in.
  await page.getByRole("heading", { name: "Intervjuer" }).waitFor();
  expect((await page.getByLabel("Deltagare").inputValue()).includes("/participants/"), "the participant is filled in");
  await page.getByLabel("Plats").fill("Kompis, Alby");
  // Held now (a walk-in interview): an interview can be recorded only once it has started.
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  await page.getByLabel("Tid").fill(`${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`);
  await page.getByRole("button", { name: "Boka intervju" }).last().click();
  // The calendar shows the name the service gives interviews (the given name).
  const slot = page.locator(".calendar .slot", { hasText: person.split(" ")[0] }).first();
  await slot.waitFor();
  await visit(page, "04-interviews-week");
  await page.getByRole("button", { name: "Dag", exact: true }).click();
  await slot.waitFor();
  await page.getByRole("button", { name: "Vecka", exact: true }).click();
  await page.getByRole("status").getByRole("link", { name: "Registrera intervju" }).click();

  // The interview form: first a mistake, shown at its field, then the whole profile.
  await page.getByRole("heading", { name: /Intervju:/ }).waitFor();
  await page.getByRole("button", { name: "Lägg till språk" }).click();
  await page.getByLabel("Språkkod 1").fill("zz9");
  await page.getByRole("button", { name: "Registrera intervju" }).click();
  await page.locator('[data-field="profile.languages[0]"] .violation').waitFor();
  await visit(page, "05-record-interview-errors");
  await page.getByLabel("Språkkod 1").fill("ar");
  await page.getByLabel("Svenska", { exact: true }).selectOption("sfi:2");
  const district = page.getByLabel("Kommundel");
  await district.locator("option", { hasText: "Alby" }).first().waitFor({ state: "attached" });
  const alby = await district.locator("option", { hasText: "Alby" }).first().getAttribute("value");
  await district.selectOption(alby);
  await page.getByLabel("Tis Kväll").check();
  await page.getByLabel("Lör Förmiddag").check();
  await page.locator("fieldset", { hasText: "Intressen" }).locator('input[type="checkbox"]').first().check();
  await page.getByLabel("Samma kön").selectOption({ label: "Önskemål" });
  await page.getByLabel("Anteckningar").fill("Vill prata svenska och se Stockholm.");
  await page.getByRole("button", { name: "Registrera intervju" }).click();
  const saved = page.getByRole("status").filter({ hasText: "Sparat." });
  const problem = page.locator(".violation, .error-banner").first();
  await Promise.race([saved.waitFor(), problem.waitFor()]);
  if (!(await saved.isVisible())) {
    await screenshot(page, "05-record-interview-failed");
    throw new Error(`recording failed: ${await problems(page)}`);
  }
  await visit(page, "05-record-interview");

  await saved.getByRole("link", { name: "Väntelista" }).click();
  await page.getByRole("heading", { name: "Väntelista" }).waitFor();
  await page.locator("tr[data-participant]").first().waitFor();
  await page.locator("svg circle").first().waitFor();
  await visit(page, "06-waiting-list", { fullPage: false });
  // The new newcomer waits: found on the list, longest waiting first, so on its last page.
  const next = page.getByRole("button", { name: "Nästa" });
  for (;;) {
    const names = await page.locator("tr[data-participant] bdi").allInnerTexts();
    if (names.some((n) => n.trim() === person)) break;
    expect(await next.isEnabled(), `${person} is on the waiting list`);
    const first = await page.locator("tr[data-participant]").first().getAttribute("data-participant");
    await next.click();
    await page.locator(`tr[data-participant="${first}"]`).waitFor({ state: "detached" });
  }

  await page.getByRole("link", { name: "Sök person" }).click();
  await page.getByLabel("Namn, telefon eller e-post").fill(person.split(" ")[0]);
  await page.getByRole("button", { name: "Sök", exact: true }).click();
  await page.locator("table bdi", { hasText: person }).first().waitFor();
  await visit(page, "07-search");
  await page.close();
});

test("right-to-left and very long names do not break the layout", async (ctx) => {
  const page = await signIn(ctx, "en");
  const names = [["محمد", "عبد الرحمن الحسيني"], ["Maximiliana-Konstantina", "Wolfeschlegelsteinhausenbergerdorff-Bergström-Åkesson"]];
  for (const [given, family] of names) {
    await page.getByRole("link", { name: "Register a person" }).click();
    await page.getByLabel("Given name").fill(given);
    await page.getByLabel("Family name").fill(family);
    await page.getByLabel("Phone").fill("070-1740" + String(605 + Math.floor(Math.random() * 89)).padStart(3, "0").slice(-3));
    await page.getByLabel("Birth year").fill("1990");
    await page.getByLabel("Gender").selectOption({ label: "Female" });
    await page.getByLabel("The person has given their consent").check();
    const district = page.getByLabel("District");
    await district.locator("option", { hasText: "Fittja" }).first().waitFor({ state: "attached" });
    await district.selectOption(await district.locator("option", { hasText: "Fittja" }).first().getAttribute("value"));
    await page.getByRole("button", { name: "Save" }).click();
    const saved = page.getByRole("status");
    const problem = page.locator(".violation, .error-banner").first();
    await Promise.race([saved.waitFor(), problem.waitFor()]);
    if (!(await saved.isVisible())) throw new Error(`registering failed: ${await problems(page)}`);
    await page.goto(ctx.url + "/#/search");
    await page.getByLabel("Name, phone or e-mail").fill(given);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator("table bdi", { hasText: given }).first().waitFor();
    await assertNoSidewaysScroll(page, `search for ${given}`);
  }
  await visit(page, "08-long-and-rtl-names");
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(ctx.url + "/#/interviews");
  await page.getByRole("heading", { name: "Interviews" }).waitFor();
  await assertNoSidewaysScroll(page, "interviews on a laptop screen");
  await page.close();
});

test("a coordinator runs a round, commits two proposals and sees them on the board once both people accept", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("link", { name: "Matchning" }).click();
  await page.getByRole("button", { name: "Kör matchningsomgång" }).click();
  await page.locator("tr[data-proposal]").nth(1).waitFor({ timeout: 120_000 });
  await visit(page, "09-matching-round");
  const rows = page.locator("tr[data-proposal]");
  const chosen = [];
  for (const i of [0, 1]) {
    const row = rows.nth(i);
    chosen.push({ newcomer: await row.getAttribute("data-newcomer"), resident: await row.getAttribute("data-resident") });
    await row.getByRole("checkbox").check();
  }
  await page.getByRole("button", { name: "Bekräfta valda (2)" }).click();
  await rows.nth(1).getByText("Bekräftade").waitFor();
  // Both people accept in the app.
  for (const pair of chosen) {
    const row = page.locator(`tr[data-match][data-newcomer="${pair.newcomer}"][data-resident="${pair.resident}"]`);
    await row.waitFor();
    const match = await row.getAttribute("data-match");
    for (const person of [pair.newcomer, pair.resident]) {
      const token = cliToken("--role", "participant", "--participant", person.split("/").pop());
      const status = await grpcWebCall(ctx.url, "/kompis.v1.BuddyAppService/RespondToProposal", token, [[1, match], [2, 2]]);
      expect(status === 0, `RespondToProposal answered ${status}`);
    }
  }
  await page.reload();
  for (const pair of chosen) {
    await page.locator(`tr[data-match][data-newcomer="${pair.newcomer}"][data-resident="${pair.resident}"] td[data-state="ACCEPTED"], tr[data-match][data-newcomer="${pair.newcomer}"][data-resident="${pair.resident}"] td[data-state="ACTIVE"]`).waitFor();
  }
  await visit(page, "10-match-board");
});

test("a coordinator creates an activity, invites an audience and sees the waitlist fill", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("link", { name: "Aktiviteter" }).click();
  await page.getByLabel("Titel").fill("Fika i Alby");
  await page.getByLabel("Plats", { exact: true }).fill("Alby bibliotek");
  await page.getByLabel("Platser (0 = obegränsat)").fill("2");
  await page.getByRole("button", { name: "Skapa aktivitet" }).click();
  await page.getByRole("heading", { name: "Fika i Alby" }).waitFor();
  await page.getByLabel("Deltagartyp").selectOption({ label: "Ny i Sverige" });
  const district = page.getByLabel("Kommundel");
  await district.locator("option", { hasText: "Alby" }).first().waitFor({ state: "attached" });
  await district.selectOption(await district.locator("option", { hasText: "Alby" }).first().getAttribute("value"));
  await page.getByRole("button", { name: "Bjud in" }).click();
  await page.getByRole("status").filter({ hasText: "inbjudna" }).waitFor();
  const pending = page.locator('tr[data-invitation][data-rsvp="PENDING"]');
  await pending.nth(2).waitFor();
  // Two seats: the first two yes-answers take them, the third waits first in line. (Each
  // answer is given to someone who has not answered, wherever the list puts them.)
  for (const i of [0, 1, 2]) {
    const row = pending.first();
    const name = await row.getAttribute("data-invitation");
    await row.getByRole("button", { name: "Ja", exact: true }).click();
    await page.locator(`tr[data-invitation="${name}"][data-rsvp="${i < 2 ? "YES" : "WAITLISTED"}"]`).waitFor();
  }
  const waiting = page.locator('tr[data-rsvp="WAITLISTED"] td[data-waitlist]');
  expect((await waiting.innerText()).trim() === "1", "the third yes is first on the waitlist");
  await visit(page, "11-activity-waitlist");
});

test("the reports page shows the year's follow-up figures and downloads the service's CSV and one-page report", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("link", { name: "Rapporter" }).click();
  await page.getByRole("button", { name: "Visa" }).click();
  await page.locator('tr[data-figure^="recruited/"]').first().waitFor();
  await visit(page, "12-reports");
  const [csvFile] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Ladda ner CSV" }).click()]);
  const csv = readFileSync(await csvFile.path(), "utf8");
  expect(csv.startsWith("metric,dimension,key,label,value"), `the CSV has its header (${csv.slice(0, 60)})`);
  const recruited = csv
    .split(/\r?\n/)
    .filter((line) => line.startsWith("recruited,role,"))
    .map((line) => Number(line.split(",").at(-1)));
  expect(recruited.length > 0 && recruited.some((n) => n > 0), `the demo's registrations are counted (${recruited})`);
  const [pageFile] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Ladda ner rapporten (en sida med diagram)" }).click(),
  ]);
  const html = readFileSync(await pageFile.path(), "utf8");
  expect(html.includes("<svg") && html.includes('lang="sv"'), "the one-page report is the Swedish page with its charts");
});

test("keyboard alone reaches the menu and the sign-in", async (ctx) => {
  const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.goto(ctx.url);
  await page.getByRole("heading", { name: "Logga in" }).waitFor();
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.textContent) === "Till innehållet", "the first Tab reaches the skip link");
  // Tab to the development sign-in button and press Enter.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.textContent)) === "Utvecklingsinloggning") break;
  }
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Hänvisningar" }).waitFor();
  await page.close();
});

const t0 = Date.now();
const server = await startServer();
// kompisd must not outlive this process, whatever ends it.
process.on("exit", () => server.kill());
const { browser, close } = await startBrowser();
console.log(`kompisd with demo data at ${server.url} (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
let failed = 0;
let ran = 0;
const only = process.argv[2];
for (const [name, fn] of tests) {
  if (only && !name.includes(only)) continue;
  const start = Date.now();
  ran += 1;
  try {
    await fn({ browser, url: server.url });
    for (const page of browser.contexts().flatMap((c) => c.pages())) await page.close();
    console.log(`ok   ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed += 1;
    const open = browser.contexts().flatMap((c) => c.pages());
    for (const [i, page] of open.entries()) await screenshot(page, `FAILED-${tests.findIndex(([n]) => n === name)}-${i}`).catch(() => {});
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split("\n").slice(0, 8).join("\n     ")}`);
  }
}
await close();
await server.stop();
console.log(`${ran - failed} passed, ${failed} failed; screenshots in ${RESULTS} (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);
process.exit(failed ? 1 : 0);

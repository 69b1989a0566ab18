// End-to-end tests of the console in headless Chromium against a real kompisd with the
// demo data. Run with `npm run e2e` after `npm run build` and a build of kompisd
// (KOMPISD names the binary; default target/debug/kompisd). Screenshots and the axe
// results go to services/kompis-console/test-results/.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  RESULTS, assertNoSidewaysScroll, checkAccessibility, cliToken, expect, grpcWebCall, screenshot, startBrowser, startIdentityProvider,
  startServer,
} from "./harness.mjs";

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

/** Opens the console and signs in through the development sign-in, in `lang`. */
async function signIn(ctx, lang = "sv", role = "coordinator") {
  const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.addInitScript((l) => localStorage.setItem("kompis.lang", l), lang);
  await page.goto(ctx.url);
  if (role !== "coordinator") await page.getByLabel(lang === "sv" ? "Roll" : "Role").selectOption(role);
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
  // The map's district labels, as the browser lays them out, do not overlap.
  const overlapping = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll("svg text[data-label]")].map((t) => [t.getAttribute("data-label"), t.getBBox()]);
    const pairs = [];
    for (const [i, [a, p]] of boxes.entries()) {
      for (const [b, q] of boxes.slice(i + 1)) {
        if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height) pairs.push(`${a} / ${b}`);
      }
    }
    return pairs;
  });
  expect(overlapping.length === 0, `map labels overlap: ${overlapping}`);
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

/** Both people of the match between `newcomer` and `resident` accept it in the app. */
async function bothAccept(ctx, page, newcomer, resident) {
  const row = page.locator(`tr[data-match][data-newcomer="${newcomer}"][data-resident="${resident}"]`);
  await row.waitFor();
  const match = await row.getAttribute("data-match");
  for (const person of [newcomer, resident]) {
    const token = cliToken("--role", "participant", "--participant", person.split("/").pop());
    const status = await grpcWebCall(ctx.url, "/kompis.v1.BuddyAppService/RespondToProposal", token, [[1, match], [2, 2]]);
    expect(status === 0, `RespondToProposal answered ${status}`);
  }
  await page.reload();
  await row.locator('td[data-state="ACCEPTED"]').waitFor();
  return row;
}

test("a coordinator proposes from suggestions, ends a match, proposes the pair again only with an override, and rematches", async (ctx) => {
  const page = await signIn(ctx, "sv");
  await page.getByRole("link", { name: "Väntelista" }).click();
  await page.locator("tr[data-participant]").first().waitFor();
  const waiting = await page.locator("tr[data-participant]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-participant")));
  // The first waiting newcomer the engine finds a candidate for (those longest waiting may have none).
  let newcomer = null;
  for (const person of waiting.slice(0, 15)) {
    await page.goto(`${ctx.url}/#/suggest?participant=${encodeURIComponent(person)}`);
    const found = page.locator("li[data-candidate]").first();
    const none = page.getByText("Motorn hittar ingen kandidat just nu.").or(page.locator(".error-banner"));
    await Promise.race([found.waitFor(), none.first().waitFor()]);
    if (await found.isVisible()) {
      newcomer = person;
      break;
    }
  }
  expect(newcomer, "a waiting newcomer has suggestions");
  const candidate = page.locator("li[data-candidate]").first();
  expect((await candidate.locator(".bar").count()) > 0, "the explanation has a bar per criterion");
  await candidate.getByText("Väntetid").first().waitFor();
  // The engine's words per criterion are in Swedish on the Swedish page.
  const why = await candidate.locator(".why").allInnerTexts();
  expect(why.length > 0, "the criteria are explained");
  for (const text of why) {
    expect(!/\b(apart|shared|waited|children|meets|preferences|the newcomer|the resident)\b/.test(text), `in Swedish: ${text}`);
  }
  await visit(page, "13-suggestions");
  const resident = await candidate.getAttribute("data-candidate");
  const label = candidate.locator("bdi").first();
  await page.waitForFunction((el) => el.textContent.trim() !== "…", await label.elementHandle());
  const residentName = (await label.innerText()).trim();
  expect(residentName.length > 1, "the candidate is named");
  await candidate.getByRole("button", { name: "Föreslå", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Föreslaget" }).waitFor();

  // Both accept in the app; the coordinator ends the match and puts both back in the queue.
  await page.getByRole("status").getByRole("link", { name: "Matchningstavla" }).click();
  let row = await bothAccept(ctx, page, newcomer, resident);
  await row.getByRole("button", { name: "Avsluta…" }).click();
  await row.getByLabel("Orsak").selectOption({ label: "Fungerade inte" });
  await visit(page, "14-end-match");
  await row.getByRole("button", { name: "Avsluta matchningen" }).click();
  await page.getByRole("status").filter({ hasText: "Matchningen är avslutad." }).waitFor();
  await row.waitFor({ state: "detached" });

  // The engine no longer suggests the pair; proposing it anyway needs a reason.
  await page.goto(`${ctx.url}/#/suggest?participant=${encodeURIComponent(newcomer)}`);
  await page.getByRole("heading", { name: "Bästa kandidaterna" }).waitFor();
  await page.getByLabel("Namn, telefon eller e-post").fill(residentName.split(" ")[0]);
  await page.getByRole("button", { name: "Sök", exact: true }).click();
  const found = page.locator(`li[data-person="${resident}"]`);
  await found.getByRole("button", { name: "Föreslå" }).click();
  await page.getByText("Motorn avvisar paret: de har tackat nej till eller avslutat en matchning med varandra tidigare.").waitFor();
  await visit(page, "15-override");
  await page.getByLabel("Varför paret ska föreslås ändå").fill("De vill försöka igen efter samtal.");
  await page.getByRole("button", { name: "Föreslå ändå" }).click();
  await page.getByRole("status").filter({ hasText: "Föreslaget" }).waitFor();

  // Accepted again, the pair does not work: the newcomer is rematched and back in the queue.
  await page.getByRole("status").getByRole("link", { name: "Matchningstavla" }).click();
  row = await bothAccept(ctx, page, newcomer, resident);
  await row.getByRole("button", { name: "Ny matchning…" }).click();
  await row.getByLabel("Varför matchningen inte fungerar").fill("Olika förväntningar.");
  await row.getByRole("button", { name: "Avsluta och matcha på nytt" }).click();
  const done = page.getByRole("status").filter({ hasText: "står på sin plats i kön" });
  await done.waitFor();
  await done.getByRole("link", { name: "Förslag" }).click();
  await page.getByRole("heading", { name: "Bästa kandidaterna" }).waitFor();
  expect(decodeURIComponent(page.url()).endsWith(newcomer), "the suggestions are the newcomer's");
});

test("an administrator changes the chapter's weights and programme; a refused value is named at its field", async (ctx) => {
  const page = await signIn(ctx, "sv", "administrator");
  await page.getByRole("link", { name: "Inställningar" }).click();
  const distance = page.getByLabel("Avstånd", { exact: true });
  await distance.waitFor();
  await distance.fill("250");
  await page.getByLabel("Uppföljningsdagar efter start").fill("14, 28, 91");
  await page.getByLabel("Programperiod (månader)").fill("9");
  await page.getByRole("button", { name: "Spara" }).click();
  await page.locator('[data-field="matching_weights.distance"] .violation').waitFor();
  expect(await distance.getAttribute("aria-invalid") === "true", "the distance weight is marked invalid");
  await visit(page, "16-settings-error");
  await distance.fill("25");
  await page.getByRole("button", { name: "Spara" }).click();
  await page.getByRole("status").filter({ hasText: "Sparat." }).waitFor();
  await page.reload();
  await distance.waitFor();
  expect(await distance.inputValue() === "25", "the weight is saved");
  expect(await page.getByLabel("Uppföljningsdagar efter start").inputValue() === "14, 28, 91", "the check-in days are saved");
  expect(await page.getByLabel("Programperiod (månader)").inputValue() === "9", "the period is saved");
  await visit(page, "17-settings");
  // A coordinator sees them and cannot change them.
  const coordinator = await signIn(ctx, "sv");
  await coordinator.getByRole("link", { name: "Inställningar" }).click();
  await coordinator.getByText("Bara administratörer kan ändra inställningarna.").waitFor();
  expect(await coordinator.getByLabel("Avstånd", { exact: true }).isDisabled(), "a coordinator's fields are read-only");
  expect(await coordinator.getByLabel("Avstånd", { exact: true }).inputValue() === "25", "a coordinator sees the new weight");
});

test("a person registered twice is flagged, and the coordinator merges the two", async (ctx) => {
  const page = await signIn(ctx, "sv");
  const phone = "070-1750" + String(100 + Math.floor(Math.random() * 800)).slice(-3);
  for (let i = 0; i < 2; i++) {
    await page.goto(ctx.url + "/#/duplicates");
    await page.getByRole("link", { name: "Registrera person" }).click();
    await page.getByLabel("Förnamn").fill("Dubbel");
    await page.getByLabel("Efternamn").fill("Registrerad");
    await page.getByLabel("Telefon").fill(phone);
    await page.getByLabel("Födelseår").fill("1988");
    await page.getByLabel("Kön").selectOption({ label: "Kvinna" });
    await page.getByLabel("Personen har gett sitt samtycke").check();
    const district = page.getByLabel("Kommundel");
    await district.locator("option", { hasText: "Tumba" }).first().waitFor({ state: "attached" });
    await district.selectOption(await district.locator("option", { hasText: "Tumba" }).first().getAttribute("value"));
    await page.getByRole("button", { name: "Spara" }).click();
    await page.getByRole("status").filter({ hasText: "Sparat." }).waitFor();
  }
  await page.getByRole("link", { name: "Dubbletter" }).click();
  const rows = page.locator("tr[data-flagged]").filter({ hasText: "Dubbel Registrerad" });
  await rows.first().waitFor();
  await visit(page, "19-duplicates");
  const row = rows.first();
  const survivor = await row.getAttribute("data-flagged");
  const merged = await row.getAttribute("data-duplicate");
  await row.getByRole("button", { name: "Slå ihop" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Bekräfta" }).click();
  await page.getByRole("status").filter({ hasText: "Löst: Slå ihop" }).waitFor();
  // Neither record is flagged with the other any longer: the merged one is closed.
  await page.locator(`tr[data-flagged="${survivor}"][data-duplicate="${merged}"]`).waitFor({ state: "detached" });
  await page.locator(`tr[data-flagged="${merged}"]`).waitFor({ state: "detached" });
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
  const alby = await district.locator("option", { hasText: "Alby" }).first().getAttribute("value");
  await district.selectOption(alby);
  // The audience's size is shown before anything is sent, and is what is sent: the count
  // for the audience as chosen (newcomers in Alby), not one still arriving for the
  // audience before the district was chosen.
  const size = page.locator(`[data-audience-size][data-audience-district="${alby}"]`).filter({ hasText: "kommer att bjudas in" });
  await size.waitFor();
  const count = Number(await size.getAttribute("data-audience-size"));
  expect(count >= 3, `the audience has at least three people (${count})`);
  expect((await page.locator("tr[data-invitation]").count()) === 0, "counting invited nobody");
  await visit(page, "18-audience-size");
  await page.getByRole("button", { name: `Bjud in (${count})` }).click();
  await page.locator(`[data-invited="${count}"]`).waitFor();
  const pending = page.locator('tr[data-invitation][data-rsvp="PENDING"]');
  await pending.nth(count - 1).waitFor();
  expect((await page.locator("tr[data-invitation]").count()) === count, "as many were invited as counted");
  await page.locator('[data-audience-size="0"]').filter({ hasText: `${count} redan inbjudna` }).waitFor();
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
  // The three charts: matched per month, the waiting-time distribution, the shortage by district.
  const months = await page.locator('svg[data-chart="matched"] rect[data-month]').count();
  expect(months >= 1, "the matched chart has the year's months with matches");
  expect((await page.locator('[data-chart="waited"] .bar').count()) === 5, "five waiting-time buckets");
  expect((await page.locator('[data-chart="shortage"] .bar').count()) > 0, "the shortage has districts");
  await visit(page, "12-reports");
  // The partnership's goal for the period: a bad target is shown at its field, a good one
  // is saved and the report shows how far the period's figure has come.
  await page.getByLabel("Mått", { exact: true }).selectOption("recruited");
  await page.getByLabel("Mål", { exact: true }).fill("-3");
  await page.getByRole("button", { name: "Spara målet" }).click();
  await page.locator('[data-field="goal.target"] .violation', { hasText: "måste vara mellan 0 och 1000000" }).waitFor();
  expect((await page.locator("tr[data-goal]").count()) === 0, "a refused goal is not stored");
  const recruitedNow = Number((await page.locator('tr[data-figure="recruited//"] td').nth(1).innerText()).trim());
  expect(recruitedNow >= 1, `the demo has registrations this year (${recruitedNow})`);
  await page.getByLabel("Mål", { exact: true }).fill(String(recruitedNow * 4));
  await page.getByRole("button", { name: "Spara målet" }).click();
  await page.getByText("Målet är sparat.").waitFor();
  const goalRow = page.locator('tr[data-goal="recruited"]');
  await goalRow.locator("[data-percent]").waitFor();
  const goalCells = await goalRow.locator("td").allInnerTexts();
  expect(goalCells[2].trim() === String(recruitedNow * 4) && goalCells[3].trim() === String(recruitedNow), `the goal and the figure reached (${goalCells})`);
  expect((await goalRow.locator("[data-percent]").getAttribute("data-percent")) === "25", `a quarter of the goal (${goalCells})`);
  expect((await page.locator('[data-field="goal.target"] .violation').count()) === 0, "the violation is gone once the goal is saved");
  await visit(page, "12-reports-goal");
  const total = async () => Number((await page.locator('tr[data-figure="recruited//"] td').nth(1).innerText()).trim());
  const everyone = await total();
  // A target group and a scope count fewer (never more) people.
  await page.getByLabel("Ny i Sverige").check();
  await page.getByLabel("Kvinnor").check();
  await page.getByLabel("Ålder från").fill("25");
  await page.getByLabel("Ålder till").fill("64");
  const scope = page.getByLabel("Område");
  await scope.locator("option", { hasText: "Alby" }).first().waitFor({ state: "attached" });
  await scope.selectOption(await scope.locator("option", { hasText: "Alby" }).first().getAttribute("value"));
  await page.getByRole("button", { name: "Visa" }).click();
  await page.waitForFunction((n) => {
    const cell = document.querySelectorAll('tr[data-figure="recruited//"] td')[1];
    return cell && Number(cell.textContent) < n;
  }, everyone);
  await visit(page, "12-reports-target-group");
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

test("a coordinator signs in at the identity provider with PKCE and the console calls the API with its token", async (ctx) => {
  const page = await ctx.browser.newPage({ viewport: { width: 1366, height: 800 } });
  await page.goto(ctx.url);
  const bearers = [];
  page.on("request", (r) => {
    if (r.url().includes("/kompis.v1.")) bearers.push(r.headers().authorization ?? "");
  });
  const before = ctx.identityProvider.issued.length;
  await page.getByRole("button", { name: "Logga in med organisationens konto" }).click();
  // The provider sends the browser back with a code; the console exchanges it (the
  // provider checks the verifier against the challenge) and is signed in.
  await page.getByRole("heading", { name: "Hänvisningar" }).waitFor();
  await page.getByText("Inloggad som coordinator · botkyrka").waitFor();
  expect(ctx.identityProvider.issued.length === before + 1, "the provider issued one token");
  const token = ctx.identityProvider.issued.at(-1);
  expect(!page.url().includes("code="), `the code leaves the address (${page.url()})`);
  expect((await page.evaluate(() => sessionStorage.getItem("kompis.token"))) === token, "the provider's token is the session's");
  // The referral inbox is read with the provider's token, and the service accepts it.
  await page.locator("tr[data-referral]").first().waitFor();
  expect(bearers.length > 0 && bearers.every((b) => b === `Bearer ${token}`), "every call carries the provider's token");
  expect((await grpcWebCall(ctx.url, "/kompis.v1.ReferralService/ListReferrals", token, [[1, "chapters/botkyrka"]])) === 0,
    "kompisd accepts the provider's RS256 token");
  // Signing out forgets the token; a replayed callback does not sign in again.
  await page.getByRole("button", { name: "Logga ut" }).click();
  await page.getByRole("heading", { name: "Logga in" }).waitFor();
  expect((await page.evaluate(() => sessionStorage.getItem("kompis.token"))) === null, "signed out, no token is kept");
  await page.goto(`${ctx.url}/?code=replayed&state=forged`);
  await page.getByText("Inloggningen misslyckades. Försök igen.").waitFor();
  expect(ctx.identityProvider.issued.length === before + 1, "a forged callback reaches no token endpoint");
  await visit(page, "00-sign-in-provider");
  await page.close();
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
// The identity provider the production sign-in goes to; kompisd trusts its keys.
const identityProvider = await startIdentityProvider({ sub: "idp-coordinator-1", role: "coordinator", chapter: "botkyrka" });
const server = await startServer(identityProvider.env);
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
    await fn({ browser, url: server.url, identityProvider });
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
await identityProvider.close();
console.log(`${ran - failed} passed, ${failed} failed; screenshots in ${RESULTS} (${((Date.now() - t0) / 1000).toFixed(1)} s in all)`);
process.exit(failed ? 1 : 0);

// The BNPT call center's pages in a real browser: Debian's headless Chromium driven by
// playwright-core. A supervisor signs in (changing the one-time password), watches a SIPp call
// appear on the wallboard, plays its recording, and files and closes a ticket about it; an agent
// uses the desk; the admin manages accounts. Screenshots of every page go to SCREENSHOT_DIR
// (default: ./screenshots beside this file).
//
// Needs: the bnpt-callcenter binary (SAMBUNG_BIN_DIR, or CARGO_TARGET_DIR/debug), sipp, chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../../..");
const binDir =
  process.env.SAMBUNG_BIN_DIR ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/sambung/target"), "debug");
const bin = join(binDir, "bnpt-callcenter");
const shots = process.env.SCREENSHOT_DIR ?? join(here, "screenshots");
const scenario = resolve(repo, "../shared/conformance/sipp/uac_call_media.xml");
const ADMIN_PASSWORD = "browser-admin-password";
// Monday 30 November 2026, 10:00 WIB: the office is open.
const OPEN = "2026-11-30T10:00:00+07:00";

let service;
let base;
let token;
let browser;
let work;

/** Writes short tones as the greeting and the information menu, so calls reach the queue
 * quickly (the menu's 2 s timeout after them). */
function shortWelcome(data) {
  for (const name of ["welcome", "menu"]) tone(data, name, 300);
}

/** Writes `ms` of a 425 Hz tone as prompt `name`. */
function tone(data, name, ms) {
  mkdirSync(join(data, "prompts"), { recursive: true });
  const rate = 8000;
  const n = (rate * ms) / 1000;
  const pcm = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 425 * i) / rate) * 8000), i * 2);
  }
  const head = Buffer.alloc(44);
  head.write("RIFF", 0);
  head.writeUInt32LE(36 + pcm.length, 4);
  head.write("WAVEfmt ", 8);
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 2, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write("data", 36);
  head.writeUInt32LE(pcm.length, 40);
  writeFileSync(join(data, "prompts", `${name}.wav`), Buffer.concat([head, pcm]));
}

/** Starts the service; resolves with its ready line. */
function startService(data) {
  return new Promise((resolveReady, reject) => {
    const child = spawn(
      bin,
      ["--data", data, "--sip-listen", "udp:127.0.0.1:0", "--http-listen", "127.0.0.1:0"],
      {
        env: { ...process.env, BNPT_ADMIN_PASSWORD: ADMIN_PASSWORD, BNPT_OFFICE_CLOCK: OPEN, RUST_LOG: "warn" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const timer = setTimeout(() => reject(new Error("no ready line in 60 s")), 60_000);
    child.on("exit", (code) => reject(new Error(`bnpt-callcenter exited: ${code}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolveReady({ child, ready: JSON.parse(line) });
    });
  });
}

/** A free UDP port (even, for RTP). */
function freePort() {
  return 20000 + 2 * Math.floor(Math.random() * 10000);
}

/** One SIPp call to the access number with ~8 s of speech, held `holdMs` after it. */
function sippCall(holdMs) {
  const target = service.ready.sip.find((s) => s.startsWith("udp:")).slice(4);
  return spawn(
    "sipp",
    [target, "-sf", scenario, "-i", "127.0.0.1", "-s", "1500112", "-nostdin", "-p", String(freePort() + 1),
      "-mp", String(freePort()), "-m", "1", "-r", "1", "-l", "1", "-d", String(holdMs), "-timeout", "60s", "-timeout_error"],
    { cwd: work, stdio: "ignore" },
  );
}

function exited(child) {
  return new Promise((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.on("exit", (code) => done(code));
  });
}

async function api(method, path, body) {
  const r = await fetch(base + "/api/v1" + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

async function createUser(username, role, agentId) {
  const password = `${username}-first-password`;
  const r = await api("POST", "/users", { username, display_name: username === "sari" ? "Sari (supervisor)" : username, role, password, agent_id: agentId });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return password;
}

/** A new browser context signed in as `user`; a one-time password is replaced first. */
async function signIn(user, password) {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto("/login");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  if (new URL(page.url()).pathname === "/account/password") {
    await page.fill("input[name=current]", password);
    await page.fill("input[name=new]", password + "-own");
    await page.fill("input[name=repeat]", password + "-own");
    await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
  }
  return { context, page };
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  assert.ok(spawnSync("sipp", ["-v"]).status !== null, "sipp (sip-tester) is required");
  mkdirSync(shots, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "bnpt-browser-"));
  const data = join(work, "data");
  shortWelcome(data);
  service = await startService(data);
  base = `http://${service.ready.http}`;
  token = readFileSync(join(data, "secrets.toml"), "utf8").match(/^api_token = "([^"]+)"/m)[1];
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
});

after(async () => {
  await browser?.close();
  service?.child.kill("SIGTERM");
  if (service) await exited(service.child);
  if (work) rmSync(work, { recursive: true, force: true });
});

test("sign-in page, and a wrong password is refused", async () => {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto("/dashboard");
  assert.equal(new URL(page.url()).pathname, "/login", "anonymous visitors are sent to sign in");
  await shot(page, "login");
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "not the password");
  await page.click("button[type=submit]");
  await page.waitForSelector(".problem");
  assert.match(await page.textContent(".problem"), /Wrong user name or password/);
  await context.close();
});

test("a supervisor sees a SIPp call on the wallboard within 5 seconds, plays its recording, and files and closes a ticket", async () => {
  const { context, page } = await signIn("sari", await createUser("sari", "supervisor"));
  assert.equal(new URL(page.url()).pathname, "/dashboard");

  const wall = await context.newPage();
  await wall.goto("/wallboard");
  await wall.waitForSelector('#live-status[data-state="live"]', { timeout: 10_000 });
  assert.equal(await wall.textContent('[data-key="calls_active"] .value'), "0");

  const started = Date.now();
  const call = sippCall(4000);
  await wall.waitForFunction(
    () => document.querySelector('[data-key="calls_active"] .value')?.textContent === "1",
    null,
    { timeout: 5_000 },
  );
  const seenAfter = Date.now() - started;
  console.log(`# the call showed on the wallboard after ${seenAfter} ms`);
  await wall.waitForFunction(
    () => document.querySelector('[data-queue="pengaduan"] [data-key="waiting"] .value')?.textContent === "1",
    null,
    { timeout: 15_000 },
  );
  await shot(wall, "wallboard");
  await page.waitForFunction(() => document.querySelector("#calls-active")?.textContent === "1", null, { timeout: 5_000 });
  await shot(page, "dashboard");
  assert.equal(await exited(call), 0, "sipp's call succeeded");
  await wall.waitForFunction(
    () => document.querySelector('[data-key="calls_active"] .value')?.textContent === "0",
    null,
    { timeout: 15_000 },
  );

  // The recording: found, played in the browser with seeking.
  await page.goto("/recordings");
  const row = page.locator("#recordings tbody tr[data-id]").first();
  await row.waitFor();
  const recordingId = await row.getAttribute("data-id");
  const played = await row.locator("audio").evaluate(async (audio) => {
    audio.muted = true;
    await audio.play();
    await new Promise((done) => setTimeout(done, 700));
    audio.currentTime = 4; // seeking asks the server for a byte range
    await new Promise((done) => audio.addEventListener("seeked", done, { once: true }));
    await new Promise((done) => setTimeout(done, 500));
    return { time: audio.currentTime, duration: audio.duration, error: audio.error?.code ?? null };
  });
  assert.equal(played.error, null);
  assert.ok(played.duration > 8, `duration ${played.duration}`);
  assert.ok(played.time >= 4, `playing after the seek: ${played.time}`);
  await shot(page, "recordings");

  // A ticket about the call: filed, then closed.
  const recording = (await api("GET", `/recordings/${recordingId}`)).json;
  await page.goto(`/tickets/new?cdr_id=${recording.call_id}`);
  await page.selectOption("select[name=category]", "Informasi mencurigakan");
  await page.fill("textarea[name=description]", "Caller reports a suspicious gathering near the market");
  await page.fill("textarea[name=notes]", "Calm voice; gave the street name");
  await shot(page, "ticket-new");
  await Promise.all([page.waitForNavigation(), page.click("#ticket-form button[type=submit]")]);
  assert.match(new URL(page.url()).pathname, /^\/tickets\/\d+$/);
  assert.equal(await page.textContent("#ticket-status"), "open");
  assert.ok(await page.locator(`audio[src="/recordings/${recordingId}/audio"]`).count(), "the ticket plays the call's recording");
  await page.selectOption("#ticket-update select[name=status]", "closed");
  await page.fill("#ticket-update textarea[name=note]", "Dispatched to the back office");
  await Promise.all([page.waitForNavigation(), page.click("#ticket-update button[type=submit]")]);
  assert.equal(await page.textContent("#ticket-status"), "closed");
  await shot(page, "ticket");
  await page.goto("/tickets");
  await shot(page, "tickets");
  await page.goto(`/contacts/${encodeURIComponent(recording.caller)}`);
  await shot(page, "contact");
  // Today in WIB, the default range.
  await page.goto("/reports");
  await page.waitForSelector("#chart .uplot");
  assert.ok(await page.locator("#intervals tbody td", { hasText: "pengaduan" }).count(), "the call's interval is listed");
  await shot(page, "reports");

  // A custom report: per hour and queue, saved under a name.
  await page.goto("/reports/custom");
  for (const m of ["offered", "answered", "abandoned", "service_level"]) {
    await page.check(`input[name=metrics][value=${m}]`);
  }
  await page.selectOption("select[name=group]", "hour");
  await page.check("input[name=by_queue]");
  await page.fill("input[name=name]", "Per jam per antrean");
  await Promise.all([page.waitForNavigation(), page.click("button[formmethod=post]")]);
  assert.match(page.url(), /saved=\d+/);
  await page.waitForSelector("#chart .uplot");
  assert.ok(await page.locator("#custom-result td", { hasText: "pengaduan" }).count());
  assert.ok(await page.locator("#saved-reports a", { hasText: "Per jam per antrean" }).count());
  await shot(page, "custom-report");
  await context.close();
});

test("an agent sets their state at the desk, and a call offered to them pops up with the caller's history", async () => {
  const { context, page } = await signIn("ani", await createUser("ani", "agent", "1001"));
  assert.equal(new URL(page.url()).pathname, "/desk");
  await page.waitForSelector('#live-status[data-state="live"]');
  // htmx posts the buttons and swaps the state card: the page (and its stream) stays.
  await page.click("button[value=login]");
  await page.waitForFunction(() => document.querySelector("#desk-notice")?.textContent === "Done: logged in.");
  await page.click("button[value=ready]");
  await page.waitForFunction(() => document.querySelector("#my-state")?.textContent === "Available", null, { timeout: 10_000 });
  const live = (await api("GET", "/realtime")).json;
  assert.equal(live.agents.find((a) => a.agent === "1001").state, "available");
  await shot(page, "desk");

  // A call comes in and is offered to agent 1001 (no phone is registered, so it is not
  // answered; the pop is what matters here).
  const call = sippCall(3000);
  await page.waitForSelector("#screen-pop:not([hidden])", { timeout: 15_000 });
  assert.equal(await page.textContent("#pop-caller"), "sipp");
  assert.ok(await page.locator("#pop-tickets tr").count(), "the caller's earlier ticket is shown");
  assert.match(await page.getAttribute("#pop-ticket", "href"), /^\/tickets\/new\?cdr_id=\d+$/);
  await shot(page, "desk-screen-pop");
  assert.equal(await exited(call), 0);
  await context.close();
});

test("the admin manages accounts and reads the audit log", async () => {
  const { context, page } = await signIn("admin", ADMIN_PASSWORD);
  assert.equal(new URL(page.url()).pathname, "/users");
  await page.fill("input[name=username]", "made");
  await page.fill("input[name=display_name]", "Made (manager)");
  await page.selectOption("form.card select[name=role]", "manager");
  await page.fill("input[name=password]", "manager-first-password");
  await Promise.all([page.waitForNavigation(), page.click("form.card button[type=submit]")]);
  assert.ok(await page.locator("#users td", { hasText: "made" }).count());
  await shot(page, "users");
  await page.goto("/audit");
  assert.ok(await page.locator("#audit td", { hasText: "recording.play" }).count(), "playing a recording was audited");
  await shot(page, "audit");
  await context.close();
});

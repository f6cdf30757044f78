// Browser tests of opsgate's web UI in a real Chromium (Debian's), driven by playwright-core.
// Run by cmd/opsgate's TestWebUIInChromium, which starts `opsgate serve` and passes:
//   OPSGATE_URL (the server), EVIL_URL (a page on another site that posts a form to opsgate),
//   SHOTS (a directory for screenshots), CHROMIUM (the browser), ADMIN_PASSWORD, VIEWER_PASSWORD.
// It prints "@@expire" and waits for a line on stdin while the test expires every session.
// Exit status 0 when every step passed; a failing step prints what it expected and saw.
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { join } from "node:path";

const base = process.env.OPSGATE_URL;
const shots = process.env.SHOTS;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function expect(cond, what) {
  if (!cond) throw new Error("expected " + what);
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
}

async function login(page, user, password) {
  await page.goto(base + "/ui/");
  expect(page.url().includes("/ui/login"), "a logged-out visit to go to the login page, got " + page.url());
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/ui\/grants/);
}

const steps = [];
function step(name, fn) { steps.push([name, fn]); }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run"],
  // playwright gives every launch a new, empty profile directory of its own (and removes it).
});
const admin = await (await browser.newContext()).newPage();
admin.setDefaultTimeout(10000);
// The pages' Content-Security-Policy allows no inline script or style: a violation is a bug.
const violations = [];
admin.context().on("console", (msg) => {
  if (msg.type() === "error" && msg.text().includes("Content Security Policy")) violations.push(msg.text());
});

step("log in", async () => {
  await admin.goto(base + "/ui/");
  await shot(admin, "01-login");
  await login(admin, "admin", process.env.ADMIN_PASSWORD);
  expect(await admin.getByText("admin (admin)").isVisible(), "the header to name the user and role");
});

step("add a grant", async () => {
  await admin.getByLabel("Command", { exact: true }).fill("deploy");
  await admin.getByLabel("Subcommand", { exact: true }).fill("prod");
  await admin.getByLabel("Type", { exact: true }).selectOption("user");
  await admin.getByLabel("Value", { exact: true }).fill("U42");
  await admin.getByLabel("Name", { exact: true }).fill("bob");
  await admin.getByLabel("Platform", { exact: true }).selectOption("slack");
  await admin.getByLabel("Expires", { exact: true }).fill("72h");
  await admin.getByRole("button", { name: "Add grant" }).click();
  await admin.getByText(/Grant \d+ added\./).waitFor();
  await shot(admin, "02-grants");
});

step("look a name up on Slack", async () => {
  await admin.getByLabel("Look up on platform").selectOption("slack");
  await admin.getByLabel("Kind").selectOption("channel");
  await admin.getByLabel("Name to look up").fill("#general");
  await admin.getByRole("button", { name: "Look up value from name" }).click();
  const id = await admin.locator("#lookup-result").textContent();
  expect(id === "C0GENERAL", "the channel id C0GENERAL, got " + id);
  expect(await admin.getByLabel("Value", { exact: true }).inputValue() === "C0GENERAL", "the grant form's Value filled in");
  expect(await admin.getByLabel("Type", { exact: true }).inputValue() === "channel", "the grant form's Type set to channel");
  await shot(admin, "03-lookup");
});

step("check access and create the suggested grants", async () => {
  await admin.goto(base + "/ui/access");
  await admin.getByLabel("Organization").fill("T1");
  await admin.getByLabel("Channel").fill("C1");
  await admin.getByLabel("User").fill("U9");
  await admin.getByLabel("Command", { exact: true }).fill("jokes");
  await admin.getByRole("button", { name: "Check access" }).click();
  expect((await admin.locator("#decision").textContent()).includes("Denied"), "a denial");
  await shot(admin, "04-access-denied");
  // Each fix allows the first failing scope; three scopes, three fixes.
  for (let i = 0; i < 3 && (await admin.locator("#decision").textContent()).includes("Denied"); i++) {
    await admin.getByRole("button", { name: "Create the suggested grant" }).click();
    await admin.getByText(/Grant \d+ added:/).waitFor();
  }
  expect((await admin.locator("#decision").textContent()).includes("Allowed"), "allowed after the fixes");
  await shot(admin, "05-access-allowed");
});

step("add a token and see it once", async () => {
  await admin.goto(base + "/ui/tokens");
  await admin.getByLabel("Platform").selectOption("admin");
  await admin.getByLabel("Comment").fill("from the browser");
  await admin.getByRole("button", { name: "Add token" }).click();
  const token = (await admin.locator("#new-token").textContent()).trim();
  expect(token.length > 20, "a token shown, got " + token);
  await shot(admin, "06-token-once");
  const r = await fetch(base + "/api/v1/grants", { headers: { Authorization: "Bearer " + token } });
  expect(r.status === 200, "the shown token to work on the admin API, got " + r.status);
  await admin.goto(base + "/ui/tokens");
  expect(!(await admin.content()).includes(token), "the token not shown again");
  expect(await admin.getByText("from the browser").isVisible(), "the token listed by its comment");
});

step("add and check a secret", async () => {
  await admin.goto(base + "/ui/secrets");
  await admin.getByLabel("Name", { exact: true }).fill("napalm");
  await admin.getByLabel("Provider", { exact: true }).selectOption("environment-variable");
  await admin.getByLabel("Parameters (key=value, one a line)").fill("variable=NAPALM_PASSWORD");
  await admin.getByRole("button", { name: "Add secret" }).click();
  await admin.getByText("Secret napalm added.").waitFor();
  await admin.getByRole("button", { name: "Check secret napalm" }).click();
  const result = await admin.locator("#secret-check").textContent();
  expect(result.includes("napalm") && result.includes("ok"), "the check to say ok, got " + result);
  expect(!(await admin.content()).includes(process.env.SECRET_VALUE), "the secret's value never on the page");
  await shot(admin, "07-secrets");
});

step("chat: whoami and an alias, seen live in the command log", async () => {
  const log = await admin.context().newPage();
  await log.goto(base + "/ui/log");
  await log.getByText("Live: new commands").waitFor();
  await admin.goto(base + "/ui/chat");
  await admin.getByLabel("Message").fill("whoami");
  await admin.getByRole("button", { name: "Send" }).click();
  await admin.locator("#chat-log .msg:not(.me)").filter({ hasText: "web" }).first().waitFor();
  const who = await admin.locator("#chat-log").textContent();
  expect(who.includes("admin") && who.includes("webchat"), "whoami to name the user and channel, got " + who);
  await admin.getByLabel("Message").fill("uptime");
  await admin.getByRole("button", { name: "Send" }).click();
  await admin.locator("#chat-log .msg:not(.me)").filter({ hasText: "load average" }).waitFor();
  await shot(admin, "08-chat");
  // Without the host, the alias asks for it: a prompt answered in the chat, with the keyboard.
  await admin.getByLabel("Message").fill("dns lookup");
  await admin.getByLabel("Message").press("Enter");
  const answer = admin.locator("#chat-log input[name=answer]").last();
  await answer.waitFor();
  await answer.fill("localhost");
  await answer.press("Enter");
  await admin.locator("#chat-log .msg:not(.me)").filter({ hasText: /127\.0\.0\.1|::1/ }).waitFor();
  await log.locator("#command-log tbody tr").filter({ hasText: "uptime" }).waitFor();
  await shot(log, "09-command-log-live");
  await log.close();
});

step("store an alias, try it, delete it", async () => {
  await admin.goto(base + "/ui/aliases");
  await admin.getByLabel(/Alias definition/).fill(
    'name: greet\npack: e2e\naction_ref: e2e.greet\ndescription: Say hello\nformats:\n  - "greet {{ who }}"\nopsgate:\n  runner: exec\n  command: [echo, "hello {{ who }}"]\n');
  await admin.getByRole("button", { name: "Save alias" }).click();
  await admin.getByText("Alias e2e.greet saved").waitFor();
  // Stored aliases come into force within aliases.reload_interval: try until it matches.
  for (let i = 0; i < 50; i++) {
    await admin.goto(base + "/ui/aliases?try=" + encodeURIComponent("greet world"));
    if (await admin.locator("#try-result").count()) break;
    await admin.waitForTimeout(200);
  }
  const result = await admin.locator("#try-result").textContent();
  expect(result.includes("e2e.greet") && result.includes("who") && result.includes("world"), "the alias and its parameter, got " + result);
  await shot(admin, "10-aliases-try");
  await admin.getByRole("button", { name: "Delete alias e2e.greet" }).click();
  await admin.getByText("Alias e2e.greet deleted.").waitFor();
});

step("audit log names the browser's user", async () => {
  await admin.goto(base + "/ui/audit");
  const text = await admin.locator("#audit-log").textContent();
  expect(text.includes("ui:admin") && text.includes("grant"), "changes audited as ui:admin");
  await shot(admin, "10-audit");
  for (const p of ["users", "status"]) {
    await admin.goto(base + "/ui/" + p);
    await shot(admin, "11-" + p);
  }
});

step("edit a grant", async () => {
  await admin.goto(base + "/ui/grants");
  await admin.getByRole("link", { name: "Edit grant 4" }).click();
  expect(await admin.getByLabel("Command", { exact: true }).inputValue() === "deploy", "the edit form filled with the grant");
  await admin.getByLabel("Subcommand", { exact: true }).fill("staging");
  await admin.getByRole("button", { name: "Save grant" }).click();
  await admin.getByText("Grant 4 saved.").waitFor();
  expect(await admin.getByRole("cell", { name: "staging" }).count() === 1, "the saved subcommand listed");
});

step("add a group with a member", async () => {
  await admin.goto(base + "/ui/groups");
  await admin.getByLabel("Group name").fill("oncall");
  await admin.getByLabel("Group platform").selectOption("slack");
  await admin.getByLabel("Members", { exact: true }).fill("U42");
  await admin.getByRole("button", { name: "Add group" }).click();
  await admin.getByText("Group oncall added.").waitFor();
  await admin.getByLabel("Member of oncall").fill("U43");
  await admin.getByRole("button", { name: "Add member" }).click();
  await admin.getByText("U43 added to group oncall.").waitFor();
  const row = await admin.getByRole("row", { name: /oncall/ }).textContent();
  expect(row.includes("U42") && row.includes("U43"), "both members listed, got " + row.replace(/\s+/g, " "));
  await shot(admin, "15-groups");
});

step("add an approval rule", async () => {
  await admin.goto(base + "/ui/approvals");
  await admin.getByLabel("Command", { exact: true }).fill("deploy");
  await admin.getByLabel("Approver groups").fill("oncall");
  await admin.getByLabel("Approvals required").fill("1");
  await admin.getByLabel("Timeout").fill("30m");
  await admin.getByRole("button", { name: "Add rule" }).click();
  await admin.getByText(/Approval rule \d+ added\./).waitFor();
  expect(await admin.getByRole("cell", { name: "30m0s" }).count() === 1, "the rule listed with its timeout");
  await shot(admin, "16-approvals");
});

step("add a schedule", async () => {
  await admin.goto(base + "/ui/schedules");
  await admin.getByLabel("Cron").fill("0 9 * * 1-5");
  await admin.getByLabel("Time zone").fill("Europe/Paris");
  await admin.getByLabel("Platform", { exact: true }).selectOption("slack");
  await admin.getByLabel("Channel").fill("C0GENERAL");
  await admin.getByLabel("Run as user").fill("U42");
  await admin.getByLabel("Command text").fill("uptime");
  await admin.getByRole("button", { name: "Add schedule" }).click();
  await admin.getByText(/Schedule \d+ added\./).waitFor();
  await admin.getByLabel("Cron").fill("0 25 * * *");
  await admin.getByLabel("Channel").fill("C0GENERAL");
  await admin.getByLabel("Run as user").fill("U42");
  await admin.getByLabel("Command text").fill("uptime");
  await admin.getByRole("button", { name: "Add schedule" }).click();
  expect(await admin.getByRole("alert").isVisible(), "a bad cron expression refused with the reason shown");
  await shot(admin, "17-schedules");
});

step("a viewer cannot change anything (logged in with the keyboard alone)", async () => {
  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(base + "/ui/");
  // The page gives the Username field the focus (autofocus), at its next rendering after load:
  // keys typed before that would go nowhere on a busy machine.
  await viewer.waitForFunction(() => document.activeElement && document.activeElement.id === "username");
  await viewer.keyboard.type("viewer");
  await viewer.keyboard.press("Tab");
  await viewer.keyboard.type(process.env.VIEWER_PASSWORD);
  await viewer.keyboard.press("Enter");
  await viewer.waitForURL(/\/ui\/grants/);
  expect(await viewer.getByRole("button", { name: "Add grant" }).count() === 0, "no add form for a viewer");
  expect(await viewer.getByRole("button", { name: /Delete/ }).count() === 0, "no delete buttons for a viewer");
  await shot(viewer, "12-viewer-grants");
  const status = await viewer.evaluate(async () => {
    const body = new URLSearchParams({ command: "viewer", type: "user", value: "U1" });
    return (await fetch("/ui/grants", { method: "POST", body })).status;
  });
  expect(status === 403, "a viewer's post refused with 403, got " + status);
  await viewer.goto(base + "/ui/users");
  expect((await viewer.content()).includes("cannot view users"), "the users page refused");
  for (const p of ["groups", "approvals", "schedules"]) {
    await viewer.goto(base + "/ui/" + p);
    expect(await viewer.locator("main form").count() === 0, "no forms on " + p + " for a viewer");
  }
  expect((await viewer.content()).includes("uptime"), "the viewer sees the schedules");
  const refused = await viewer.evaluate(async () => {
    const body = new URLSearchParams({ name: "viewers", members: "U1" });
    return (await fetch("/ui/groups", { method: "POST", body })).status;
  });
  expect(refused === 403, "a viewer's group post refused with 403, got " + refused);
  await viewer.context().close();
});

step("a cross-site form post is refused", async () => {
  const evil = await admin.context().newPage();
  await evil.goto(process.env.EVIL_URL);
  const [resp] = await Promise.all([
    evil.waitForResponse((r) => r.url().startsWith(base + "/ui/grants") && r.request().method() === "POST"),
    evil.getByRole("button", { name: "Win a prize" }).click(),
  ]);
  expect(resp.status() === 403, "a cross-site post refused with 403, got " + resp.status());
  await shot(evil, "13-cross-site-refused");
  await evil.close();
});

step("an expired session goes back to the login page", async () => {
  console.log("@@expire");
  await lines.next();
  await admin.goto(base + "/ui/grants");
  expect(admin.url().includes("/ui/login"), "the login page, got " + admin.url());
  expect(await admin.getByRole("button", { name: "Log in" }).isVisible(), "the Log in button");
  await shot(admin, "14-expired");
});

step("no page broke its Content-Security-Policy", async () => {
  expect(violations.length === 0, violations.length + " CSP violations, the first: " + (violations[0] || "").slice(0, 160));
});

let failed = 0;
for (const [name, fn] of steps) {
  try {
    await fn();
    console.log("ok   " + name);
  } catch (e) {
    failed++;
    console.log("FAIL " + name + ": " + e.message.split("\n")[0]);
    let i = 0;
    for (const ctx of browser.contexts()) {
      for (const p of ctx.pages()) {
        await shot(p, "failed-" + name.replace(/\W+/g, "-") + "-" + i++).catch(() => {});
        console.log("     page " + p.url() + ": " + (await p.locator("main").textContent().catch(() => "")).replace(/\s+/g, " ").slice(0, 600));
      }
    }
    if (name === "log in") break;
  }
}
await browser.close();
process.exit(failed ? 1 : 0);

// Live parts of opsgate's web UI. Every page works without this file; it adds live updates by
// server-sent events (the command log's tail, the chat's replies) and sends chat forms without
// reloading the page.
"use strict";

function stream(url, handlers) {
  const es = new EventSource(url);
  for (const [name, fn] of Object.entries(handlers)) es.addEventListener(name, (ev) => fn(ev.data));
  return es;
}

function fragment(html) {
  const t = document.createElement("template");
  t.innerHTML = html.trim();
  return t.content;
}

document.addEventListener("DOMContentLoaded", () => {
  const log = document.getElementById("command-log");
  if (log && log.dataset.events) {
    const url = new URL(log.dataset.events, location.href);
    url.searchParams.set("after", log.dataset.after || "0");
    stream(url, {
      row: (html) => log.tBodies[0].prepend(fragment(html)),
    });
    document.getElementById("live-status").textContent = "Live: new commands appear at the top as they run.";
  }

  const chat = document.getElementById("chat-log");
  if (chat && chat.dataset.events) {
    const scroll = () => { chat.scrollTop = chat.scrollHeight; };
    stream(chat.dataset.events, {
      msg: (html) => {
        const empty = document.getElementById("chat-empty");
        if (empty) empty.remove();
        const f = fragment(html);
        const id = f.firstElementChild && f.firstElementChild.id;
        if (id && document.getElementById(id)) return; // already shown (page render raced the stream)
        chat.append(f);
        scroll();
      },
      delete: (id) => { const m = document.getElementById("msg-" + id); if (m) m.remove(); },
    });
    scroll();
    // Chat forms (the message box, menus, buttons, prompts, dialogs) post in the background;
    // replies arrive on the stream.
    document.addEventListener("submit", async (ev) => {
      const form = ev.target;
      if (!form.classList.contains("chat-form")) return;
      ev.preventDefault();
      const body = new URLSearchParams(new FormData(form));
      if (ev.submitter && ev.submitter.name) body.set(ev.submitter.name, ev.submitter.value);
      const input = form.querySelector("#chat-text");
      if (input) input.value = "";
      const r = await fetch(form.action, { method: "POST", body, headers: { "X-Opsgate-Fetch": "1" } });
      if (!r.ok) chat.append(fragment('<div class="msg"><p class="bad">' + r.status + ": the message was not sent.</p></div>"));
      if (input) input.focus();
    });
  }
});

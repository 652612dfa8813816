// BNPT call center pages: live figures over Server-Sent Events (dashboard, wallboard), the agent
// desk's state and screen pop, and the report chart. No build step; served from the binary.
"use strict";

const Sambung = (() => {
  const $ = (selector) => document.querySelector(selector);
  const esc = (v) =>
    String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const pct = (x) => (x == null ? "–" : Math.round(x * 100) + "%");
  const duration = (seconds) => {
    const s = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
  };
  // An RFC 3339 time as WIB wall-clock text.
  const wib = (iso) =>
    iso ? new Date(iso).toLocaleString("en-GB", { timeZone: "Asia/Jakarta", hour12: false }) : "";
  const STATES = {
    available: "Available",
    ringing: "Ringing",
    on_acd_call: "On call",
    on_hold: "On hold",
    on_direct_call: "Direct call",
    after_call_work: "Wrap-up",
    not_ready: "Not ready",
    logged_out: "Logged out",
  };

  // An EventSource that says how it is doing, and when the stream is refused (signed out),
  // checks the session and goes to the sign-in page; otherwise retries with back-off.
  function stream(url, handlers) {
    const status = $("#live-status");
    const show = (state, text) => {
      if (status) {
        status.dataset.state = state;
        status.textContent = text;
      }
    };
    let failures = 0;
    const open = () => {
      const source = new EventSource(url);
      source.onopen = () => {
        failures = 0;
        show("live", "live");
      };
      for (const [name, handle] of Object.entries(handlers)) {
        source.addEventListener(name, (event) => {
          show("live", "live");
          handle(JSON.parse(event.data));
        });
      }
      source.onerror = () => {
        show("reconnecting", "reconnecting…");
        if (source.readyState !== EventSource.CLOSED) return;
        failures += 1;
        setTimeout(async () => {
          try {
            const me = await fetch("/api/v1/me", { credentials: "same-origin" });
            if (me.status === 401) {
              location.reload();
              return;
            }
          } catch (_) {
            // The server is away; try again later.
          }
          open();
        }, Math.min(30000, 1000 * 2 ** failures));
      };
    };
    open();
  }

  // Queues in the configuration's order.
  const queuesOf = (data) => (data.queue_order || Object.keys(data.queues || {})).map((id) => [id, data.queues[id] || {}]);
  // A ratio means nothing before a call was offered.
  const ratio = (q, key) => (q.offered ? pct(q[key]) : "–");

  function queueRows(data) {
    return queuesOf(data).map(([id, q]) => {
      const alerts = new Set(q.alerts || []);
      const cell = (key, value) => `<td class="${alerts.has(key) ? "alert" : ""}" data-key="${key}">${esc(value)}</td>`;
      return (
        `<tr data-queue="${esc(id)}"><td>${esc(q.name)}</td>${cell("waiting", q.waiting ?? 0)}` +
        `<td data-key="offered">${esc(q.offered ?? 0)}</td><td data-key="answered">${esc(q.answered ?? 0)}</td>` +
        `<td data-key="abandoned">${esc(q.abandoned ?? 0)}</td>${cell("service_level", ratio(q, "service_level"))}` +
        `${cell("abandon_rate", ratio(q, "abandon_rate"))}<td>${esc((q.asa_s ?? 0).toFixed(1))}</td></tr>`
      );
    });
  }

  function agentRows(data) {
    return (data.agents || []).map(
      (a) =>
        `<tr data-agent="${esc(a.agent)}" class="state-${esc(a.state)}${a.alert ? " alert" : ""}">` +
        `<td>${esc(a.name)}</td><td>${esc(STATES[a.state] || a.state)}</td><td>${esc(a.reason || "")}</td>` +
        `<td>${duration(a.seconds_in_state)}</td><td>${esc(a.calls)}</td><td>${esc(a.extension || "")}</td></tr>`,
    );
  }

  // Recordings that could not be started or written (full disk, missing folder): the calls go
  // on unrecorded, and this says so until the fault is 15 minutes old.
  function renderRecordingAlert(data) {
    const banner = $("#recording-alert");
    const r = data.recording || {};
    banner.hidden = !r.alert;
    banner.textContent = r.alert ? `Recording fault: ${r.last_fault} (${r.faults} so far). Calls are not being recorded.` : "";
  }

  function renderDashboard(data) {
    renderRecordingAlert(data);
    $("#calls-active").textContent = data.calls_active;
    $("#queues tbody").innerHTML = queueRows(data).join("");
    const agents = agentRows(data);
    $("#agents tbody").innerHTML = agents.length ? agents.join("") : `<tr><td colspan="6">No agent has logged in yet.</td></tr>`;
  }

  function renderWallboard(data) {
    const tile = (label, value, key, alert) =>
      `<div class="tile${alert ? " alert" : ""}" data-key="${key}"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
    renderRecordingAlert(data);
    let queues = tile("Calls in progress", data.calls_active, "calls_active", false);
    for (const [id, q] of queuesOf(data)) {
      const alerts = new Set(q.alerts || []);
      queues +=
        `<div class="queue" data-queue="${esc(id)}"><h2>${esc(q.name)}</h2><div class="tiles">` +
        tile("Waiting", q.waiting ?? 0, "waiting", alerts.has("waiting")) +
        tile("Answered", q.answered ?? 0, "answered", false) +
        tile("Abandoned", q.abandoned ?? 0, "abandoned", alerts.has("abandon_rate")) +
        tile("Service level", ratio(q, "service_level"), "service_level", alerts.has("service_level")) +
        `</div></div>`;
    }
    $("#wall-queues").innerHTML = queues;
    $("#wall-agents").innerHTML = (data.agents || [])
      .filter((a) => a.state !== "logged_out")
      .map(
        (a) =>
          `<div class="tile state-${esc(a.state)}${a.alert ? " alert" : ""}" data-agent="${esc(a.agent)}">` +
          `<div class="label">${esc(a.name)}</div><div class="value">${esc(STATES[a.state] || a.state)}</div>` +
          `<div class="label">${duration(a.seconds_in_state)}</div></div>`,
      )
      .join("");
  }

  function realtime(wallboard) {
    stream("/events/realtime", { realtime: wallboard ? renderWallboard : renderDashboard });
    if (wallboard) {
      const clock = $("#clock");
      const tick = () => {
        clock.textContent = new Date().toLocaleTimeString("en-GB", { timeZone: "Asia/Jakarta" }) + " WIB";
      };
      tick();
      setInterval(tick, 1000);
    }
  }

  function desk() {
    stream("/events/desk", {
      state: (a) => {
        $("#my-state").textContent = STATES[a.state] || a.state;
        $("#my-reason").textContent = a.reason ? `(${a.reason})` : "";
        $("#my-time").textContent = duration(a.seconds_in_state);
      },
      offer: (pop) => {
        const call = pop.call;
        $("#pop-caller").textContent = call.caller;
        $("#pop-service").textContent = call.service;
        $("#pop-ticket").href = `/tickets/new?cdr_id=${encodeURIComponent(call.cdr_id)}`;
        $("#pop-history").href = `/contacts/${encodeURIComponent(call.caller)}`;
        const history = pop.history || {};
        $("#pop-calls").innerHTML = (history.calls || [])
          .filter((c) => c.cdr_id !== call.cdr_id)
          .map((c) => `<tr><td>${esc(wib(c.arrived_at))}</td><td>${esc(c.disposition)}</td><td>${esc(c.agent)}</td><td>${esc(c.ivr_input)}</td></tr>`)
          .join("");
        $("#pop-tickets").innerHTML = (history.tickets || [])
          .map((t) => `<tr><td><a href="/tickets/${t.id}">${t.id}</a></td><td>${esc(t.status)}</td><td>${esc(t.category)}</td></tr>`)
          .join("");
        $("#screen-pop").hidden = false;
      },
    });
  }

  function chart() {
    const box = $("#chart");
    if (!box) return;
    const colours = ["#2b6cb0", "#2f855a", "#c53030", "#b7791f", "#805ad5", "#319795", "#d53f8c", "#4a5568", "#dd6b20"];
    let data = JSON.parse(box.dataset.series || "[]");
    let options;
    if (box.dataset.kind === "custom") {
      // A custom report: one point per row, labelled by its group (and queue).
      const columns = data.columns || [];
      const rows = data.rows || [];
      if (!rows.length) return;
      const first = columns[1] === "queue" ? 2 : 1;
      const labels = rows.map((r) => (first === 2 ? `${r[0]} ${r[1]}` : String(r[0])));
      const metrics = columns.slice(first);
      data = [rows.map((_, i) => i), ...metrics.map((_, j) => rows.map((r) => r[first + j]))];
      options = {
        series: [{}, ...metrics.map((label, i) => ({ label, stroke: colours[i % colours.length], width: 2 }))],
        scales: { x: { time: false } },
        axes: [{ values: (_, ticks) => ticks.map((t) => labels[t] ?? "") }, {}],
      };
    } else {
      if (!Array.isArray(data) || !data.length || !data[0].length) return;
      options = {
        series: [{}, ...["Offered", "Answered", "Abandoned"].map((label, i) => ({ label, stroke: colours[i], width: 2 }))],
        axes: [{}, { label: "calls" }],
      };
    }
    // uPlot is vendored (assets/vendor); it is global here.
    new uPlot({ width: Math.min(1100, box.clientWidth || 900), height: 300, ...options }, data, box);
  }

  return { realtime, desk, chart };
})();

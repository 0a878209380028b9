// sanshen pages: no inline script (the CSP forbids it); this file only
// (1) keeps decision and submit buttons from being pressed twice and
// (2) refreshes an open queue when the server says a draft moved and
// (3) saves an open draft form on the server as it changes.
(function () {
  "use strict";

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.sent) { e.preventDefault(); return; }
    var once = form.querySelectorAll("button.once");
    if (!once.length) return;
    form.dataset.sent = "1";
    // Keep the pressed button's value: a disabled button is not submitted.
    var b = e.submitter;
    if (b && b.name) {
      var h = document.createElement("input");
      h.type = "hidden"; h.name = b.name; h.value = b.value;
      form.appendChild(h);
    }
    once.forEach(function (x) { x.disabled = true; x.setAttribute("aria-disabled", "true"); });
  });

  // (3) A draft form saves itself on the server while it changes (暂存:
  // office PCs are shared, so nothing is kept in the browser). A session
  // that expired is said so; the server kept what was sent.
  var draft = document.querySelector("form[data-autosave]");
  if (draft && window.fetch && window.FormData) {
    var status = document.getElementById("autosave-status");
    var dirty = false, busy = false;
    var mark = function () { dirty = true; };
    draft.addEventListener("input", mark);
    draft.addEventListener("change", mark);
    var say = function (text) { if (status && text) status.textContent = text; };
    setInterval(function () {
      if (!dirty || busy || draft.dataset.sent) return;
      dirty = false; busy = true;
      var data = new FormData(draft);
      data.delete("files");
      var body = new URLSearchParams();
      data.forEach(function (v, k) { if (typeof v === "string") body.append(k, v); });
      fetch(draft.getAttribute("data-autosave"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": draft.querySelector("input[name=_csrf]").value }
      }).then(function (r) {
        return r.json().then(function (j) {
          if (r.ok) { say(j.message); return; }
          dirty = r.status !== 401; // a new session is needed first
          say(j.error || draft.getAttribute("data-failed"));
          if (r.status === 401 && j.login && status) {
            var a = document.createElement("a");
            a.href = j.login; a.textContent = " →";
            status.appendChild(a);
          }
        });
      }).catch(function () {
        dirty = true;
        say(draft.getAttribute("data-failed"));
      }).then(function () { busy = false; });
    }, 10000);
  }

  // (4) The 审批单's print button; (5) the header's menu at phone width.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  var menu = document.getElementById("menu-toggle");
  if (menu) {
    document.documentElement.classList.add("js");
    menu.addEventListener("click", function () {
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      document.querySelector("header.top").classList.toggle("open", open);
    });
  }

  var table = document.querySelector("table[data-live]");
  if (!table || !window.EventSource) return;
  var url = table.getAttribute("data-live");
  var timer = null;
  function refresh() {
    timer = null;
    if (window.htmx) {
      htmx.ajax("GET", url, { target: "#queue-rows", swap: "innerHTML" });
    }
  }
  var stage = table.getAttribute("data-stage");
  var es = new EventSource("/web/events");
  es.addEventListener("change", function (e) {
    // Refresh only for a draft that arrives in this queue's stage or one
    // already listed (it left or changed); other stages' traffic is ignored.
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    var listed = document.querySelector('#queue-rows tr[data-id="' + Number(ev.draft_id) + '"]');
    if (ev.state !== stage && !listed) return;
    if (!timer) timer = setTimeout(refresh, 500);
  });
})();

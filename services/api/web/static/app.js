// sanshen pages: no inline script (the CSP forbids it); this file only
// (1) keeps decision and submit buttons from being pressed twice and
// (2) refreshes an open queue when the server says a draft moved and
// (3) saves an open draft form on the server as it changes and
// (6) puts a form back as it was posted (after signing in again, or
// refused), its field at fault marked.
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

  // (6) A form shown again as it was posted (posted.go): after signing in
  // again, the session having expired, or refused for what it said. Its
  // fields go back into the page's form that posts to the same address
  // and whose hidden fields agree; the field at fault is marked and takes
  // the focus, and the message moves to the form. Hidden, file and
  // password fields are never filled.
  var posted = document.getElementById("posted-form");
  if (posted) putBack(posted);
  function putBack(p) {
    var fields;
    try { fields = JSON.parse(p.getAttribute("data-fields")); } catch (err) { return; }
    var own = { _csrf: 1, form_user: 1, form_key: 1, form_token: 1 };
    var never = { hidden: 1, file: 1, password: 1, submit: 1, button: 1, reset: 1, image: 1 };
    var action = p.getAttribute("data-action"), form = null;
    Array.prototype.forEach.call(document.forms, function (f) {
      if (form || (f.getAttribute("method") || "").toLowerCase() !== "post") return;
      if (new URL(f.getAttribute("action") || "", location.href).pathname !== action) return;
      var agree = Array.prototype.every.call(f.elements, function (el) {
        return el.type !== "hidden" || !el.name || own[el.name] || (fields[el.name] || []).indexOf(el.value) >= 0;
      });
      if (agree) form = f;
    });
    var msg = document.getElementById(p.getAttribute("data-message"));
    if (!form) {
      var missing = p.getAttribute("data-missing");
      if (msg && missing) msg.textContent = missing;
      return;
    }
    for (var d = form.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    var seen = {}, first = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || never[el.type] || own[el.name]) return;
      var vs = fields[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = vs.indexOf(el.value) >= 0;
        return;
      }
      if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = vs.indexOf(o.value) >= 0; });
        return;
      }
      var i = seen[el.name] || 0;
      seen[el.name] = i + 1;
      if (i >= vs.length) return;
      if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === vs[i]; })) return;
      if (!first && el.value !== vs[i] && !el.disabled) first = el; // where it differs from the page: typed
      el.value = vs[i];
    });
    if (msg) { // at the form, before its first field (after its heading)
      var at = Array.prototype.find.call(form.children, function (el) {
        return /^(LABEL|INPUT|TEXTAREA|SELECT|FIELDSET|DIV|BUTTON)$/.test(el.tagName) && el.type !== "hidden";
      });
      form.insertBefore(msg, at || null);
    }
    var name = p.getAttribute("data-field"), bad = name ? form.elements[name] : null;
    if (bad && !bad.type && bad.length) bad = bad[0]; // a group of fields: the first
    if (bad && !never[bad.type]) {
      bad.setAttribute("aria-invalid", "true");
      if (msg) {
        var ids = (bad.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (ids.indexOf(msg.id) < 0) ids.unshift(msg.id);
        bad.setAttribute("aria-describedby", ids.join(" "));
      }
      bad.focus();
    } else if (first && p.getAttribute("data-kind") === "restored") {
      first.focus(); // back where the person was typing
    } else if (msg) {
      msg.setAttribute("tabindex", "-1"); // a refusal of no one field: its message
      msg.focus();
    }
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

// sanshen pages: no inline script (the CSP forbids it); this file only
// (1) keeps decision and submit buttons from being pressed twice and
// (2) refreshes an open queue when the server says a draft moved.
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

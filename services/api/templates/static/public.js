// The public pages' 字号, 适老化 and 打印 controls, kept in this browser
// (localStorage). Without script the buttons stay hidden.
(function () {
  var root = document.documentElement;
  function load(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function save(k, v) { try { localStorage.setItem(k, v); } catch (e) {} }
  var size = parseInt(load("public.size") || "0", 10) || 0;
  if (size) root.setAttribute("data-size", String(size));
  if (load("public.care") === "1") root.classList.add("care");
  document.addEventListener("DOMContentLoaded", function () {
    var tools = document.querySelectorAll("#tools .tool");
    for (var i = 0; i < tools.length; i++) tools[i].hidden = false;
    var care = document.getElementById("care");
    care.setAttribute("aria-pressed", root.classList.contains("care") ? "true" : "false");
    care.addEventListener("click", function () {
      var on = root.classList.toggle("care");
      care.setAttribute("aria-pressed", on ? "true" : "false");
      save("public.care", on ? "1" : "0");
    });
    document.getElementById("print").addEventListener("click", function () { window.print(); });
    var steps = document.querySelectorAll("#tools [data-size]");
    for (var j = 0; j < steps.length; j++) {
      steps[j].addEventListener("click", function (e) {
        size = Math.max(-1, Math.min(3, size + parseInt(e.currentTarget.getAttribute("data-size"), 10)));
        if (size) root.setAttribute("data-size", String(size)); else root.removeAttribute("data-size");
        save("public.size", String(size));
      });
    }
  });
})();

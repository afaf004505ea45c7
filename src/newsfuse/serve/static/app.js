/* newsfuse: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  // -- citations: tap/click toggles the source sentence; Escape closes; tips stay inside the window --------
  function closeAll(except) {
    document.querySelectorAll(".cite.open").forEach(function (c) {
      if (c !== except) {
        c.classList.remove("open");
        var b = c.querySelector(".cite-btn");
        if (b) b.setAttribute("aria-expanded", "false");
      }
    });
  }

  function place(cite) {
    var tip = cite.querySelector(".cite-tip");
    if (!tip || window.matchMedia("(max-width: 40rem)").matches) return;
    tip.style.left = "";
    var rect = tip.getBoundingClientRect();
    var overflow = rect.right - (document.documentElement.clientWidth - 12);
    if (overflow > 0) tip.style.left = (-12 - overflow) + "px";
  }

  function initCitations() {
    document.querySelectorAll(".cite").forEach(function (cite) {
      var btn = cite.querySelector(".cite-btn");
      if (!btn) return;
      btn.setAttribute("aria-expanded", "false");
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        var open = !cite.classList.contains("open");
        closeAll(cite);
        cite.classList.toggle("open", open);
        cite.classList.remove("closed");
        btn.setAttribute("aria-expanded", open ? "true" : "false");
        if (open) place(cite);
      });
      cite.addEventListener("mouseenter", function () { cite.classList.remove("closed"); place(cite); });
      cite.addEventListener("focusin", function () { cite.classList.remove("closed"); place(cite); });
    });
    document.addEventListener("click", function (ev) {
      if (!ev.target.closest || !ev.target.closest(".cite")) closeAll(null);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") return;
      var active = document.activeElement;
      var cite = active && active.closest ? active.closest(".cite") : null;
      closeAll(null);
      if (cite) {
        cite.classList.add("closed");  // hide even while focus stays on the button
        var btn = cite.querySelector(".cite-btn");
        if (btn) btn.focus();
      }
    });
  }

  // -- check form: show progress while the server works ---------------------------------------------------
  function initCheckForm() {
    var form = document.querySelector("[data-check-form]");
    if (!form) return;
    form.addEventListener("submit", function () {
      var btn = form.querySelector("button[type=submit]");
      if (btn) {
        btn.disabled = true;
        btn.textContent = btn.getAttribute("data-busy-label") || "Working…";
      }
      form.setAttribute("aria-busy", "true");
    });
    var results = document.getElementById("results");
    if (results) {
      results.focus({ preventScroll: true });
      results.scrollIntoView({ block: "start" });
    }
  }

  function init() {
    initCitations();
    initCheckForm();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

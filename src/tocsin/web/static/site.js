/* tocsin: highlight the quote a value was read from. Without this script the links still jump to the
   quote (and CSS :target marks it). No inline script anywhere: this file is loaded with <script src>. */
(function () {
  "use strict";

  function highlight(group, scroll) {
    var marks = document.querySelectorAll("mark.ev");
    var first = null;
    for (var i = 0; i < marks.length; i++) {
      var groups = (marks[i].getAttribute("data-ev") || "").split(" ");
      var on = groups.indexOf(group) !== -1;
      marks[i].classList.toggle("hl", on);
      if (on && !first) first = marks[i];
    }
    var links = document.querySelectorAll("a.ev-link");
    for (var j = 0; j < links.length; j++) {
      var active = links[j].getAttribute("data-ev") === group;
      links[j].classList.toggle("active", active);
      if (active) links[j].setAttribute("aria-current", "true");
      else links[j].removeAttribute("aria-current");
    }
    if (first && scroll) {
      var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      first.scrollIntoView({ block: "center", behavior: reduce ? "auto" : "smooth" });
    }
    return first;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.ev-link") : null;
    if (!link) return;
    var group = link.getAttribute("data-ev");
    var first = highlight(group, true);
    if (first) {
      event.preventDefault();
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "#" + first.id);
      }
    }
  });

  function fromHash() {
    var id = decodeURIComponent((window.location.hash || "").slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el && el.tagName === "MARK") {
      var groups = (el.getAttribute("data-ev") || "").split(" ");
      if (groups[0]) highlight(groups[0], false);
    }
  }
  window.addEventListener("hashchange", fromHash);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fromHash);
  else fromHash();
})();

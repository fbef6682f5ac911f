/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Main navigation groups (<details>): one open at a time; Escape or a click elsewhere
  // closes it. Without this file each group simply stays open until toggled again.
  function navGroups() {
    return document.querySelectorAll(".mainnav details.navgroup");
  }

  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.open || !opened.classList.contains("navgroup")) {
      return;
    }
    navGroups().forEach(function (group) {
      if (group !== opened) { group.open = false; }
    });
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    navGroups().forEach(function (group) {
      if (group.open) {
        group.open = false;
        var summary = group.querySelector("summary");
        if (summary && group.contains(document.activeElement)) { summary.focus(); }
      }
    });
  });

  document.addEventListener("click", function (event) {
    navGroups().forEach(function (group) {
      if (group.open && !group.contains(event.target)) { group.open = false; }
    });
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      if (typeof target.form.requestSubmit === "function") {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });
})();

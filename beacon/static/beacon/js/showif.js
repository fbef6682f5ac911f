/* Show-if rules on the respondent's step: when this question decides whether a follow-up
 * is asked, the button reads "Next" or "Finish" as the picked option does. The server
 * works out each option's outcome (data-ends) and skips or shows the follow-up itself;
 * this only keeps the label honest before the step is sent. A file, not an inline
 * script: the Content-Security-Policy allows scripts from Beacon's files only. */
(function () {
  "use strict";
  var form = document.getElementById("step");
  if (!form) return;
  var button = form.querySelector("button[data-next]");
  if (!button) return;
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.name !== "answer" || !input.hasAttribute("data-ends")) return;
    var ends = input.getAttribute("data-ends") === "1";
    button.textContent = button.getAttribute(ends ? "data-finish" : "data-next");
  });
})();

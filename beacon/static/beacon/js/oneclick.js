/* A one-click score link landed on the page: send the score at once (as a person would by
 * pressing Next), marked so mail scanners that run scripts can be told apart. A file, not
 * an inline script: the Content-Security-Policy allows scripts from Beacon's files only. */
(function () {
  "use strict";
  var form = document.getElementById("step");
  if (!form) return;
  form.oneclick.value = "auto";
  form.submit();
})();

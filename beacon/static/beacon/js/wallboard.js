// Live wallboard: replace the numbers and comments whenever the server sends a snapshot.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-events");
  if (!url || !window.EventSource) { return; }
  var status = document.getElementById("wall-status");

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = value;
    return el;
  }

  function render(data) {
    var metrics = document.getElementById("wall-metrics");
    metrics.replaceChildren.apply(metrics, data.metrics.map(function (m) {
      var box = document.createElement("div");
      box.className = "metric";
      box.appendChild(text("h2", "", m.label));
      if (m.shown) {
        box.appendChild(text("p", "value", m.shown.value + m.unit));
        box.appendChild(text("p", "band",
          "95%: " + m.shown.low + " to " + m.shown.high + m.unit + " · n=" + m.n));
      } else {
        box.appendChild(text("p", "value none", "not enough answers"));
        box.appendChild(text("p", "band", "n=" + m.n));
      }
      return box;
    }));
    var list = document.getElementById("wall-verbatims");
    var items = data.verbatims.map(function (v) {
      var li = document.createElement("li");
      li.appendChild(text("q", "", v.text));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", "where", v.where));
      return li;
    });
    if (!items.length) { items = [text("li", "none", "No comments yet.")]; }
    list.replaceChildren.apply(list, items);
  }

  var source = new EventSource(url);
  source.addEventListener("snapshot", function (e) {
    render(JSON.parse(e.data));
    status.textContent = "live";
  });
  source.addEventListener("revoked", function () {
    source.close();
    status.textContent = "this wallboard was switched off";
  });
  source.onerror = function () { status.textContent = "reconnecting…"; };
})();

/* Beacon in-app survey widget. No dependencies; one script tag:
 * <script src="{your Beacon address}/static/beacon/widget.js" async
 *   data-beacon-survey="ANONYMOUS_TOKEN" data-beacon-event="order-complete"
 *   data-beacon-user-id="42" data-beacon-user-email="a@b.c" data-beacon-user-name="Ann"
 *   data-beacon-user-signature="hex HMAC-SHA256 of the user id, computed by your server"></script>
 * Shows the survey when the page dispatches the event on document
 * (document.dispatchEvent(new CustomEvent("order-complete"))) or calls Beacon.show().
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var d = me.dataset, base = new URL(me.src, location.href).origin;
  var url = base + "/s/widget/" + encodeURIComponent(d.beaconSurvey || "") + "/";
  var box = null, last = null, n = 0;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function css(brand) {
    var p = ".bcn-w";
    return p + "{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;max-width:24rem;width:calc(100% - 2rem);" +
      "max-height:calc(100% - 2rem);overflow:auto;background:#fff;color:#1a1a1a;border:2px solid #1a1a1a;border-radius:.5rem;" +
      "padding:1rem;font:1rem/1.4 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)}" +
      p + " h2{font-size:1.1rem;margin:0 2rem .5rem 0}" + p + " fieldset{border:0;margin:0 0 .75rem;padding:0}" +
      p + " legend,.bcn-q{font-weight:600;margin-bottom:.3rem;display:block}" +
      p + " .bcn-s{display:flex;flex-wrap:wrap;gap:2px}" + p + " .bcn-s label{flex:1 0 1.9rem;text-align:center;border:1px solid #555;border-radius:.3rem;padding:.3rem 0}" +
      p + " .bcn-s input{display:block;margin:0 auto}" + p + " textarea{width:100%;box-sizing:border-box;font:inherit}" +
      p + " button{font:inherit;font-weight:700;padding:.45rem 1rem;border:2px solid #1a1a1a;border-radius:.3rem;background:" + brand + ";color:#fff;cursor:pointer}" +
      p + " .bcn-x{position:absolute;top:.5rem;right:.5rem;background:#fff;color:#1a1a1a;padding:.1rem .5rem}" +
      p + " .bcn-e{color:#a00000;font-weight:600}" + p + " :focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}";
  }

  // A page with a Content-Security-Policy allows this <style> by the nonce it gave the
  // widget's script tag.
  function style(text) {
    return me.nonce ? { text: text, nonce: me.nonce } : { text: text };
  }

  function close() {
    if (box) { box.remove(); box = null; }
    if (last && last.focus) last.focus();
  }

  function question(q) {
    var id = "bcn-" + (++n), kids = [];
    if (q.kind === "text") {
      return el("div", { "data-bcn-q": q.id }, [el("label", { "for": id, "class": "bcn-q", text: q.text }),
        el("textarea", { id: id, name: "q" + q.id, rows: "3", maxlength: "20000" })]);
    }
    var type = q.kind === "multi" ? "checkbox" : "radio";
    var values = q.low !== null ? [] : q.choices;
    if (q.low !== null) for (var v = q.low; v <= q.high; v++) values.push(String(v));
    values.forEach(function (v) {
      kids.push(el("label", {}, [el("input", { type: type, name: "q" + q.id, value: v }), document.createTextNode(v)]));
    });
    var legend = q.text + (q.low !== null && q.low_label ? " (" + q.low + " = " + q.low_label + ", " + q.high + " = " + q.high_label + ")" : "");
    return el("fieldset", { "data-bcn-q": q.id }, [el("legend", { text: legend }), el("div", { "class": q.low !== null ? "bcn-s" : "" }, kids)]);
  }

  function picked(form, id) {
    return Array.prototype.filter.call(form.querySelectorAll("input[name='q" + id + "']"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  }

  // Show-if: a follow-up shows only while the earlier answer it reads meets its rule (the
  // server applies the same rule and refuses an answer to a question not asked).
  function met(rule, values) {
    if (!values.length) return false;
    if (rule.op === "picked") return values.indexOf(rule.value) >= 0;
    var n = parseInt(values[0], 10), v = parseInt(rule.value, 10);
    return rule.op === "le" ? n <= v : rule.op === "ge" ? n >= v : false;
  }

  function refresh(form, s) {
    var hidden = {};
    s.questions.forEach(function (q) {
      var r = q.show_if;
      var shown = !r || (!hidden[r.question_id] && met(r, picked(form, r.question_id)));
      if (!shown) hidden[q.id] = true;
      form.querySelector("[data-bcn-q='" + q.id + "']").hidden = !shown;
    });
    return hidden;
  }

  function answers(form, s) {
    var out = [], hidden = refresh(form, s);
    s.questions.forEach(function (q) {
      var name = "q" + q.id;
      if (hidden[q.id]) return;
      if (q.kind === "text") {
        var t = form.elements[name].value;
        if (t.trim()) out.push({ question_id: q.id, text: t });
        return;
      }
      var values = picked(form, q.id);
      if (!values.length) return;
      if (q.low !== null) out.push({ question_id: q.id, number: parseInt(values[0], 10) });
      else out.push({ question_id: q.id, choices: values });
    });
    return out;
  }

  function render(s) {
    var title = el("h2", { id: "bcn-t", text: s.title });
    var err = el("p", { "class": "bcn-e", role: "alert" });
    var form = el("form", {}, s.questions.map(question).concat([err, el("button", { type: "submit", text: "Send" })]));
    var x = el("button", { type: "button", "class": "bcn-x", "aria-label": "Close", text: "\u00d7" });
    box = el("div", { "class": "bcn-w", role: "dialog", "aria-labelledby": "bcn-t" },
      [el("style", style(css(/^#[0-9a-f]{6}$/i.test(s.brand) ? s.brand : "#0b5cad"))), x, title, form]);
    x.addEventListener("click", close);
    form.addEventListener("change", function () { refresh(form, s); });
    refresh(form, s);
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var a = answers(form, s);
      if (!a.length) { err.textContent = "Please answer at least one question."; return; }
      var user = d.beaconUserId ? { id: d.beaconUserId, email: d.beaconUserEmail || "", name: d.beaconUserName || "", signature: d.beaconUserSignature || "" } : null;
      fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ key: s.key, user: user, answers: a }) })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, b: b }; }); })
        .then(function (r) {
          if (!r.ok) { err.textContent = typeof r.b.detail === "string" ? r.b.detail : r.b.detail[0].message; return; }
          form.replaceWith(el("p", { role: "status", text: s.thank_you }));
        }, function () { err.textContent = "Could not send; please try again."; });
    });
    document.body.appendChild(box);
    var first = box.querySelector("input,textarea");
    if (first) first.focus();
  }

  function show() {
    if (box) return;
    last = document.activeElement;
    fetch(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (s) { if (s && !box) render(s); });
  }

  window.Beacon = { show: show, close: close };
  if (d.beaconEvent) document.addEventListener(d.beaconEvent, show);
})();

{% autoescape off %}/* fortycrm website form — renders the form into <div data-fortycrm-form="…"> and sends it with fetch. */
(function () {
  "use strict";
  var C = {{ config }};
  var ID = {{ public_id }};
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function build(host, n) {
    var prefix = "fc-" + ID + "-" + n + "-";
    var form = el("form", {"class": "fortycrm-form", novalidate: true, action: C.submit, method: "post"});
    var inputs = {};
    function row(name, control, labelText, required, after) {
      var wrap = el("div", {"class": "fortycrm-field"});
      var label = el("label", {"for": prefix + name}, labelText + (required ? " " + C.texts.mark : ""));
      var error = el("p", {id: prefix + name + "-error", "class": "fortycrm-error", role: "alert", hidden: true});
      control.id = prefix + name;
      control.setAttribute("aria-describedby", prefix + name + "-error");
      if (after) { wrap.appendChild(control); wrap.appendChild(label); } else { wrap.appendChild(label); wrap.appendChild(control); }
      wrap.appendChild(error);
      form.appendChild(wrap);
      inputs[name] = {control: control, error: error};
    }
    C.fields.forEach(function (f) {
      var control;
      if (f.type === "textarea") control = el("textarea", {name: f.name, rows: 5});
      else if (f.type === "select") {
        control = el("select", {name: f.name});
        control.appendChild(el("option", {value: ""}, "—"));
        f.choices.forEach(function (c) { control.appendChild(el("option", {value: c[0]}, c[1])); });
      } else control = el("input", {type: f.type, name: f.name});
      control.setAttribute("autocomplete", f.autocomplete);
      if (f.maxlength) control.setAttribute("maxlength", f.maxlength);
      if (f.required) { control.required = true; control.setAttribute("aria-required", "true"); }
      row(f.name, control, f.label, f.required);
    });
    if (C.consent) {
      row("fc_consent", el("input", {type: "checkbox", name: "fc_consent", value: "on", required: true}), C.consent, true, true);
    }
    var trap = el("div", {"aria-hidden": "true", style: "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"});
    trap.appendChild(el("label", {"for": prefix + "hp"}, C.texts.honeypot));
    trap.appendChild(el("input", {type: "text", name: C.honeypot, id: prefix + "hp", tabindex: "-1", autocomplete: "off"}));
    form.appendChild(trap);
    var status = el("p", {"class": "fortycrm-status", role: "status", "aria-live": "polite"});
    var button = el("button", {type: "submit"}, C.texts.send);
    form.appendChild(button);
    form.appendChild(status);
    function showErrors(errors) {
      var first = null;
      Object.keys(inputs).forEach(function (name) {
        var msgs = errors[name];
        inputs[name].error.hidden = !msgs;
        inputs[name].error.textContent = msgs ? msgs.join(" ") : "";
        if (msgs) { inputs[name].control.setAttribute("aria-invalid", "true"); first = first || inputs[name].control; }
        else inputs[name].control.removeAttribute("aria-invalid");
      });
      if (first) first.focus();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = {fc_token: C.token, fc_page: String(window.location.href).slice(0, 500)};
      var errors = {};
      Object.keys(inputs).forEach(function (name) {
        var c = inputs[name].control;
        if (c.type === "checkbox") { if (c.checked) data[name] = true; else if (c.required) errors[name] = [C.texts.consent_required]; return; }
        var v = c.value.trim();
        if (v) data[name] = v; else if (c.required) errors[name] = [C.texts.required];
      });
      var hp = form.querySelector("[name='" + C.honeypot + "']");
      if (hp.value) data[C.honeypot] = hp.value;
      showErrors(errors);
      if (Object.keys(errors).length) return;
      button.disabled = true;
      status.textContent = C.texts.sending;
      fetch(C.submit, {method: "POST", mode: "cors", credentials: "omit", headers: {"Content-Type": "application/json"}, body: JSON.stringify(data)})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (res) {
          button.disabled = false;
          if (res.ok && res.body.ok) {
            if (res.body.redirect) { window.location.href = res.body.redirect; return; }
            var done = el("p", {"class": "fortycrm-thanks", role: "status", tabindex: "-1"}, res.body.message);
            form.replaceWith(done);
            done.focus();
            return;
          }
          status.textContent = res.body.message || C.texts.failed;
          showErrors(res.body.errors || {});
        })
        .catch(function () { button.disabled = false; status.textContent = C.texts.failed; });
    });
    host.appendChild(form);
  }
  function start() {
    var hosts = document.querySelectorAll("[data-fortycrm-form='" + ID + "']");
    for (var i = 0; i < hosts.length; i++) { if (!hosts[i].getAttribute("data-ready")) { hosts[i].setAttribute("data-ready", "1"); build(hosts[i], i); } }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
{% endautoescape %}

// wallet.js: the 亮证 page. It renews the QR code before it expires and
// keeps the field choice in the form. No framework, no build step.
(function () {
  "use strict";
  var img = document.getElementById("qr");
  var form = document.querySelector("form.choose");
  if (form) {
    form.addEventListener("submit", function () {
      var keys = [];
      form.querySelectorAll("input.fchoice:checked").forEach(function (c) { keys.push(c.value); });
      document.getElementById("f").value = keys.join(",");
    });
  }
  if (!img) { return; }
  var left = document.getElementById("qr-left");
  var link = document.getElementById("qr-link");
  var status = document.getElementById("qr-status");
  var expires = Date.parse(img.dataset.expires);
  var renewing = false;

  function renew() {
    if (renewing) { return; }
    renewing = true;
    var fields = img.dataset.fields ? img.dataset.fields.split(",") : [];
    fetch("/v1/holder/presentations", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ license: img.dataset.license, fields: fields })
    }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (p) {
      img.src = p.qr;
      link.href = p.url;
      img.dataset.expires = p.expires_at;
      expires = Date.parse(p.expires_at);
    }).catch(function () {
      status.textContent = document.documentElement.lang === "en"
        ? "Could not renew the code; reload the page."
        : "二维码更新失败，请刷新页面。";
    }).then(function () { renewing = false; });
  }

  setInterval(function () {
    var s = Math.max(0, Math.round((expires - Date.now()) / 1000));
    if (left) { left.textContent = s; }
    if (s <= 10) { renew(); } // renew ten seconds before the end
  }, 1000);
})();

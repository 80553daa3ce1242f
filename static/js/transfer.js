// Bank-transfer pending page: copy buttons for the account details, and a quiet poll of our
// own status URL that moves on (to the result page) once the provider's callback decided.
// No third-party code; the page works without it (the buttons stay hidden, the page refreshes).
(function () {
  "use strict";
  var POLL_MS = 3000;
  var live = document.getElementById("copy-status");

  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (ignored) { copied = false; }
    document.body.removeChild(area);
    return copied;
  }

  function announce(copied) {
    if (!live) { return; }
    live.textContent = "";
    live.textContent = copied ? live.dataset.copied : live.dataset.failed;
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.dataset.value || "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { announce(true); },
          function () { announce(copyWithSelection(text)); }
        );
      } else {
        announce(copyWithSelection(text));
      }
    });
  });

  var page = document.getElementById("transfer");
  if (!page || !page.dataset.statusUrl || !window.fetch) { return; }
  function poll() {
    fetch(page.dataset.statusUrl, {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store"
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.state !== page.dataset.state) {
          window.location.assign(status.next);
          return;
        }
        window.setTimeout(poll, POLL_MS);
      }, function () { window.setTimeout(poll, POLL_MS * 3); });
  }
  window.setTimeout(poll, POLL_MS);
})();

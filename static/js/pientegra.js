// Pientegra bank-transfer pending page: open the provider's deposit page in a new window from
// the customer's click (a plain link takes over when a popup is blocked), and follow our own
// status endpoint until the transfer has an answer, then go to the result page.
// No third-party code; without it the link still opens the page and the page refreshes itself.
(function () {
  "use strict";
  var open = document.getElementById("deposit-open");
  var blocked = document.getElementById("deposit-blocked");
  if (open) {
    open.addEventListener("click", function (event) {
      event.preventDefault();
      var popup = window.open("", "pientegra-deposit");
      if (!popup) { // blocked: offer the plain link in this tab instead
        if (blocked) { blocked.hidden = false; }
        return;
      }
      popup.opener = null; // the provider's page gets no handle on ours
      popup.location.href = open.href;
    });
  }

  var transfer = document.getElementById("transfer");
  if (!transfer || !window.fetch) { return; }
  var url = transfer.dataset.statusUrl;
  var every = (parseInt(transfer.dataset.pollSeconds, 10) || 3) * 1000;
  var timer = null;
  function poll() {
    window.clearTimeout(timer);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.done) { window.location.assign(state.next); } else { schedule(); }
      })
      .catch(schedule);
  }
  function schedule() { timer = window.setTimeout(poll, every); }
  // Browsers slow timers in background tabs: ask at once when the customer comes back to us.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); }
  });
  schedule();
})();

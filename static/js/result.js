// Tell a merchant that opened the checkout in a popup how it ended, and only the merchant:
// the message goes to each of its registered origins, never to "*".
(function () {
  "use strict";
  var result = document.getElementById("checkout-result");
  if (!result || !window.opener || result.dataset.status === "pending") { return; }
  var message = {
    type: "checkout.result",
    checkout_id: result.dataset.checkoutId,
    order_id: result.dataset.orderId,
    status: result.dataset.status
  };
  result.dataset.origins.split(" ").forEach(function (origin) {
    if (origin) {
      try { window.opener.postMessage(message, origin); } catch (ignored) { /* opener navigated away */ }
    }
  });
})();

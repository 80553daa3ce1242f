// 3-D Secure card form: PaytrekJS turns the card fields into a token in the browser, so the
// card number never reaches our server. The inputs carry no name attribute for the same reason.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof Paytrek === "undefined") { return; }
  var errors = document.getElementById("card-errors");
  var submitting = false;
  Paytrek.Options = {
    publishableKey: form.dataset.publishableKey,
    host: form.dataset.host,
    orderId: form.dataset.orderId,
    currency: form.dataset.currency,
    amount: form.dataset.amount,
    removeCardElements: false,
    resetCardElementValues: true,
    cardTokenField: "card_token"
  };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submitting) { return; }  // a double click tokenises once
    submitting = true;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    new Paytrek.Form(form).createToken(function (response) {
      if (!response || !response.card_token) {
        submitting = false;
        button.disabled = false;
        errors.textContent = form.dataset.errorMessage;
        errors.hidden = false;
        return;
      }
      document.getElementById("card_token").value = response.card_token;
      form.submit();
    });
  });
})();

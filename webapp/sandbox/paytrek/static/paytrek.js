/*
 * PaytrekJS for the Paytrek sandbox (paytrek-api.txt "PaytrekJS Kütüphanesi").
 *
 * Paytrek.Options  {publishableKey, host, orderId, currency, amount, removeCardElements,
 *                   resetCardElementValues, cardTokenField}; read when createToken runs.
 * new Paytrek.Form(formOrId)   maps the form's [data-paytrek-field] inputs: "number",
 *                   "card-holder-name", "expiration-month", "expiration-year" (the document's
 *                   form example) and "cvc" (the example has none; the name is the sandbox's).
 *                   Throws an Error when the form cannot be found.
 * form.createToken(callback)   validates with Paytrek.CreditCard, then POSTs JSON to
 *                   <host>/api/v2/tokenization/ and calls back with the answer holding
 *                   card_token, or with {errors: {field: [message]}}.
 * new Paytrek.CreditCard(number, cvc, expMonth, expYear, cardHolderName)   isValid(), errors.
 *
 * host defaults to where this script was loaded from (http://sandbox/paytrek), so the page
 * needs only the publishable key. Card data goes to the sandbox only, never to the merchant.
 */
(function (global) {
  "use strict";

  var script = document.currentScript;
  var scriptHost = script ? script.src.replace(/\/static\/v2\/js\/paytrek\.js([?#].*)?$/, "") : "";
  var FIELDS = ["number", "card-holder-name", "expiration-month", "expiration-year", "cvc"];

  function digits(value) {
    return String(value === undefined || value === null ? "" : value).replace(/[\s-]/g, "");
  }

  function luhnValid(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var digit = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) {
        digit = digit > 4 ? digit * 2 - 9 : digit * 2;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function CreditCard(number, cvc, expMonth, expYear, cardHolderName) {
    this.number = digits(number);
    this.cvc = digits(cvc);
    this.expMonth = digits(expMonth);
    this.expYear = digits(expYear);
    this.cardHolderName = String(cardHolderName || "").trim();
    this.errors = {};
  }

  CreditCard.prototype.isCardNumberValid = function () {
    return /^\d{12,19}$/.test(this.number) && luhnValid(this.number);
  };
  CreditCard.prototype.isCvcValid = function () {
    return /^\d{3,4}$/.test(this.cvc);
  };
  // The document spells it "isdExpirationDateValid"; both names work.
  CreditCard.prototype.isdExpirationDateValid = function () {
    var month = Number(this.expMonth);
    return month >= 1 && month <= 12 && /^(\d{2}|\d{4})$/.test(this.expYear);
  };
  CreditCard.prototype.isExpirationDateValid = CreditCard.prototype.isdExpirationDateValid;
  CreditCard.prototype.isCardHolderNameValid = function () {
    return this.cardHolderName.length > 0;
  };
  CreditCard.prototype.isValid = function () {
    var checks = {
      number: this.isCardNumberValid(),
      cvc: this.isCvcValid(),
      expiration: this.isdExpirationDateValid(),
      card_holder_name: this.isCardHolderNameValid()
    };
    this.errors = {};
    for (var name in checks) {
      if (!checks[name]) {
        this.errors[name] = ["This field is invalid."];
      }
    }
    return Object.keys(this.errors).length === 0;
  };
  CreditCard.prototype.expiration = function () {
    var year = this.expYear.length === 2 ? "20" + this.expYear : this.expYear;
    return ("0" + this.expMonth).slice(-2) + "/" + year;
  };

  function Form(formOrId) {
    var form = typeof formOrId === "string" ? document.getElementById(formOrId) : formOrId;
    if (!form || String(form.tagName).toUpperCase() !== "FORM") {
      throw new Error("Paytrek.Form: no form " + formOrId);
    }
    this.form = form;
  }

  Form.prototype.element = function (name) {
    return this.form.querySelector('[data-paytrek-field="' + name + '"]');
  };
  Form.prototype.value = function (name) {
    var element = this.element(name);
    return element ? element.value : "";
  };
  Form.prototype.creditCard = function () {
    return new CreditCard(
      this.value("number"), this.value("cvc"), this.value("expiration-month"),
      this.value("expiration-year"), this.value("card-holder-name")
    );
  };

  Form.prototype.afterToken = function (cardToken, options) {
    if (options.cardTokenField) {
      var tokenInput = document.getElementById(options.cardTokenField);
      if (tokenInput) {
        tokenInput.value = cardToken;
      }
    }
    for (var i = 0; i < FIELDS.length; i++) {
      var element = this.element(FIELDS[i]);
      if (!element) {
        continue;
      }
      if (options.removeCardElements) {
        element.parentNode.removeChild(element);
      } else if (options.resetCardElementValues) {
        element.value = "";
      }
    }
  };

  Form.prototype.createToken = function (callback) {
    var options = global.Paytrek.Options || {};
    var card = this.creditCard();
    var self = this;
    if (!card.isValid()) {
      callback({errors: card.errors});
      return;
    }
    var host = String(options.host || scriptHost).replace(/\/+$/, "");
    var body = {
      publishable_key: options.publishableKey,
      number: card.number,
      expiration: card.expiration(),
      cvc: card.cvc,
      card_holder_name: card.cardHolderName,
      // "Satış verileriyle gönderilecek tüm veriler string formatına dönüştürülmelidir."
      sale_data: {
        order_id: String(options.orderId || ""),
        currency: String(options.currency || ""),
        amount: String(options.amount || "")
      }
    };
    global.fetch(host + "/api/v2/tokenization/", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (answer.card_token) {
        self.afterToken(answer.card_token, options);
        callback(answer);
      } else {
        callback({
          errors: answer.errors || {non_field_errors: [answer.error_message || "Tokenization failed."]},
          error_code: answer.error_code,
          error_message: answer.error_message
        });
      }
    }, function (error) {
      callback({errors: {non_field_errors: ["Paytrek could not be reached: " + error]}});
    });
  };

  var existing = global.Paytrek || {};
  global.Paytrek = {Options: existing.Options || {}, Form: Form, CreditCard: CreditCard};
})(window);

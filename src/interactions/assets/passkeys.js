// Passkeys on Tessera's pages (WebAuthn Level 3, through @simplewebauthn/browser's bundle,
// loaded before this file). Every control this file drives is `hidden` in the HTML and shown
// here only when the browser can use passkeys: without JavaScript or WebAuthn, no button that
// does nothing. Options come from Tessera (POST, with the page's CSRF token); the browser's
// answer is posted back in an ordinary form, so the server's redirect takes the page on.
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;

  function fetchOptions(url, csrf) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf }).toString(),
    }).then(function (response) {
      if (!response.ok) throw new Error('options refused: ' + response.status);
      return response.json();
    });
  }

  function post(action, fields) {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = action;
    form.hidden = true;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function showError(element) {
    var message = document.getElementById('passkey-error');
    if (message) message.hidden = false;
    if (element) element.disabled = false;
  }

  // Sign-in: the button, and the username field's autofill (conditional mediation).
  var signIn = document.querySelector('[data-passkey-sign-in]');
  if (signIn) {
    var data = signIn.dataset;
    var run = function (autofill) {
      return fetchOptions(data.optionsAction, data.csrf).then(function (optionsJSON) {
        return webauthn
          .startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: autofill })
          .then(function (answer) {
            post(data.action, { csrf: data.csrf, response: JSON.stringify(answer) });
          });
      });
    };
    signIn.hidden = false;
    signIn.addEventListener('click', function () {
      signIn.disabled = true;
      run(false).catch(function () {
        showError(signIn);
      });
    });
    if (document.querySelector('input[autocomplete~="webauthn"]')) {
      webauthn.browserSupportsWebAuthnAutofill().then(function (supported) {
        // A pending autofill request is cancelled by the button's own (WebAuthnAbortService).
        if (supported) run(true).catch(function () {});
      });
    }
  }

  // Account page: "Add a passkey".
  var add = document.querySelector('[data-passkey-add]');
  if (add) {
    var addData = add.dataset;
    var form = add.closest('form');
    if (form) form.hidden = false;
    add.addEventListener('click', function (event) {
      event.preventDefault();
      add.disabled = true;
      var name = document.getElementById('passkey-name');
      fetchOptions(addData.optionsAction, addData.csrf)
        .then(function (optionsJSON) {
          return webauthn.startRegistration({ optionsJSON: optionsJSON });
        })
        .then(function (answer) {
          post(addData.action, {
            csrf: addData.csrf,
            name: name ? name.value : '',
            response: JSON.stringify(answer),
          });
        })
        .catch(function () {
          showError(add);
        });
    });
  }
})();

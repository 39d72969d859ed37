// Passkeys (WebAuthn) for the account's second factors and the second step
// of sign-in. The server sends the options of navigator.credentials as
// JSON with base64url bytes; this turns them into ArrayBuffers and the
// authenticator's answer back. POSTs go to this site only, so the server's
// cross-origin protection covers them as it covers forms.
(function () {
  'use strict';

  function toBytes(s) {
    var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toText(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (j) {
        if (!res.ok) {
          var e = j && j.error;
          var msg = e && e.fields && e.fields.name ? e.fields.name : e && e.message;
          var err = new Error(msg || '');
          err.status = res.status;
          throw err;
        }
        return j;
      });
    });
  }

  function say(el, fallback, err) {
    if (!el) return;
    // A DOMException is the browser's (cancelled, timed out): its text is
    // not in the reader's language, so the page's own message is shown.
    el.textContent = err && !(err instanceof DOMException) && err.message ? err.message : fallback;
    el.hidden = false;
  }

  function descriptors(list) {
    (list || []).forEach(function (c) { c.id = toBytes(c.id); });
  }

  var reg = document.getElementById('passkey-register');
  if (reg && window.PublicKeyCredential) {
    reg.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var errEl = document.getElementById('passkey-error');
      errEl.hidden = true;
      var button = reg.querySelector('button');
      button.disabled = true;
      post(reg.dataset.begin, { name: reg.elements.name.value }).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = toBytes(pk.challenge);
        pk.user.id = toBytes(pk.user.id);
        descriptors(pk.excludeCredentials);
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        var r = cred.response;
        return post(reg.dataset.finish, {
          id: cred.id, rawId: toText(cred.rawId), type: cred.type,
          response: {
            attestationObject: toText(r.attestationObject),
            clientDataJSON: toText(r.clientDataJSON),
            transports: r.getTransports ? r.getTransports() : []
          }
        });
      }).then(function (res) {
        location.assign(res.redirect);
      }).catch(function (err) {
        button.disabled = false;
        say(errEl, reg.dataset.fail, err);
        // A session whose password was not confirmed lately: the message
        // says so, and a link leads to the confirm page and back.
        if (err && err.status === 403 && reg.dataset.confirm) {
          var a = document.createElement('a');
          a.href = reg.dataset.confirm;
          a.textContent = reg.dataset.confirmText;
          errEl.appendChild(document.createTextNode(' '));
          errEl.appendChild(a);
        }
      });
    });
  }

  var signin = document.getElementById('passkey-signin');
  if (signin && window.PublicKeyCredential) {
    signin.addEventListener('click', function () {
      var errEl = document.getElementById('passkey-error');
      errEl.hidden = true;
      signin.disabled = true;
      post(signin.dataset.begin).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = toBytes(pk.challenge);
        descriptors(pk.allowCredentials);
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (cred) {
        var r = cred.response;
        return post(signin.dataset.finish, {
          id: cred.id, rawId: toText(cred.rawId), type: cred.type,
          response: {
            authenticatorData: toText(r.authenticatorData),
            clientDataJSON: toText(r.clientDataJSON),
            signature: toText(r.signature),
            userHandle: r.userHandle ? toText(r.userHandle) : null
          }
        });
      }).then(function (res) {
        location.assign(res.redirect);
      }).catch(function (err) {
        signin.disabled = false;
        say(errEl, signin.dataset.fail, err);
      });
    });
  }
})();

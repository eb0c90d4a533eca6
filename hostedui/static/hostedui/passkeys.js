// Passkeys on the hosted pages: sign-in (login page) and registration (passkeys/add).
// The server sends WebAuthn options as JSON with base64url byte strings; the browser API
// wants ArrayBuffers, and its answer goes back as JSON in a form field (py_webauthn's shape).
(function () {
  "use strict";
  const toBytes = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(value.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  };
  const toBase64url = (buffer) => {
    let text = "";
    new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const descriptor = (d) => ({ ...d, id: toBytes(d.id) });

  function showError(form, message) {
    const box = form.querySelector("#passkey-error");
    box.textContent = message;
    box.hidden = false;
  }

  // The browser's own words for a refused ceremony are technical and in its language, not the
  // page's: say it in the page's (the template's data-not-allowed).
  function failed(form, error) {
    const refused = error && (error.name === "NotAllowedError" || error.name === "AbortError");
    showError(form, (refused && form.dataset.notAllowed) || (error && error.message) || String(error));
  }

  async function post(form, url, extra) {
    const body = new FormData(form);
    for (const [key, value] of Object.entries(extra || {})) body.set(key, value);
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || "The request failed.");
    return answer;
  }

  function assertionJSON(credential) {
    const r = credential.response;
    return JSON.stringify({
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON), authenticatorData: toBase64url(r.authenticatorData),
        signature: toBase64url(r.signature), userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
      },
    });
  }

  function attestationJSON(credential) {
    const r = credential.response;
    return JSON.stringify({
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON), attestationObject: toBase64url(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
    });
  }

  function signIn(form) {
    form.hidden = false;
    form.querySelector("#passkey-button").addEventListener("click", async () => {
      const username = (document.getElementById("username").value || "").trim();
      if (!username) { showError(form, form.dataset.needUsername || "Enter your username first."); return; }
      try {
        const answer = await post(form, form.dataset.options, { username });
        const options = answer.options;
        options.challenge = toBytes(options.challenge);
        options.allowCredentials = (options.allowCredentials || []).map(descriptor);
        const credential = await navigator.credentials.get({ publicKey: options });
        form.elements.username.value = username;
        form.elements.session.value = answer.session;
        form.elements.credential.value = assertionJSON(credential);
        form.submit();
      } catch (error) {
        failed(form, error);
      }
    });
  }

  function register(form) {
    form.querySelector("#passkey-add-button").addEventListener("click", async () => {
      try {
        const { options } = await post(form, form.dataset.options);
        options.challenge = toBytes(options.challenge);
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = (options.excludeCredentials || []).map(descriptor);
        const credential = await navigator.credentials.create({ publicKey: options });
        form.elements.credential.value = attestationJSON(credential);
        form.submit();
      } catch (error) {
        failed(form, error);
      }
    });
  }

  if (!window.PublicKeyCredential) return;
  const login = document.getElementById("passkey-form");
  if (login) signIn(login);
  const add = document.getElementById("passkey-add-form");
  if (add) register(add);
})();

// Signing in with a security key (WebAuthn) on the second-factor page: read the
// options the server rendered as JSON data (no inline script: the CSP forbids it),
// ask the key, and post what it signed in the form. Binary fields travel as base64url,
// as py_webauthn writes and reads them.
"use strict";

const fromB64url = (text) => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bytes, (c) => c.charCodeAt(0)).buffer;
};

const toB64url = (buffer) => {
  if (buffer === null) return null;
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const askKey = async (options) => {
  const publicKey = {
    ...options,
    challenge: fromB64url(options.challenge),
    allowCredentials: (options.allowCredentials || []).map((c) => ({...c, id: fromB64url(c.id)})),
  };
  const credential = await navigator.credentials.get({publicKey});
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toB64url(response.clientDataJSON),
      authenticatorData: toB64url(response.authenticatorData),
      signature: toB64url(response.signature),
      userHandle: toB64url(response.userHandle),
    },
  };
};

document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("security-key-options");
  const button = document.getElementById("security-key-button");
  const form = document.getElementById("security-key-form");
  if (!data || !button || !form || !window.PublicKeyCredential) return;
  const options = JSON.parse(data.textContent);
  const error = document.getElementById("security-key-error");
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const signed = await askKey(options);
      document.getElementById("security-key-credential").value = JSON.stringify(signed);
      form.submit();
    } catch (exc) {
      error.hidden = false;
      button.disabled = false;
    }
  });
});

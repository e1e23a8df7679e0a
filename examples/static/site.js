// The latchkey web example's one script (the CSP allows no inline script).
// It hides "Additional Details" until "Other" is chosen (without it, the
// field simply stays visible), and it carries security-key ceremonies
// between the server's options and the browser's WebAuthn API (without
// it, keys cannot be used: the other factors still work).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("details-box");
  if (!box) return;
  const radios = document.querySelectorAll('input[name="help"]');
  const show = () => {
    const other = document.querySelector('input[name="help"][value="other"]');
    box.hidden = !(other && other.checked);
  };
  radios.forEach((r) => r.addEventListener("change", show));
  show();
});

// Security keys and passkeys: a form with data-webauthn="create" or "get"
// carries the server's options (JSON, as webauthn-rs writes them) in
// data-options. Its button asks the browser, then the form posts the
// browser's answer as JSON in its hidden "credential" field. Binary fields
// travel as base64url both ways.
const fromBase64url = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
};
const toBase64url = (buffer) => {
  const bytes = new Uint8Array(buffer);
  let text = "";
  bytes.forEach((b) => { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const creationOptions = (publicKey) => ({
  ...publicKey,
  challenge: fromBase64url(publicKey.challenge),
  user: { ...publicKey.user, id: fromBase64url(publicKey.user.id) },
  excludeCredentials: (publicKey.excludeCredentials || []).map((c) => ({ ...c, id: fromBase64url(c.id) })),
});
const requestOptions = (publicKey) => ({
  ...publicKey,
  challenge: fromBase64url(publicKey.challenge),
  allowCredentials: (publicKey.allowCredentials || []).map((c) => ({ ...c, id: fromBase64url(c.id) })),
});
const created = (credential) => ({
  id: credential.id,
  rawId: toBase64url(credential.rawId),
  type: credential.type,
  response: {
    attestationObject: toBase64url(credential.response.attestationObject),
    clientDataJSON: toBase64url(credential.response.clientDataJSON),
  },
  extensions: {},
});
const asserted = (credential) => ({
  id: credential.id,
  rawId: toBase64url(credential.rawId),
  type: credential.type,
  response: {
    authenticatorData: toBase64url(credential.response.authenticatorData),
    clientDataJSON: toBase64url(credential.response.clientDataJSON),
    signature: toBase64url(credential.response.signature),
    userHandle: credential.response.userHandle ? toBase64url(credential.response.userHandle) : null,
  },
  extensions: {},
});
// A "conditional" form is a passkey sign-in: the browser may offer the
// passkey in the username field (autocomplete="username webauthn") at
// once, and its button asks in a dialog instead (the pending offer is
// withdrawn first: one request at a time).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-webauthn]").forEach((form) => {
    const start = form.querySelector("[data-webauthn-start]");
    const problem = form.querySelector(".webauthn-error");
    if (!start) return;
    if (!window.PublicKeyCredential) {
      problem.textContent = "This browser cannot use security keys.";
      problem.hidden = false;
      start.disabled = true;
      return;
    }
    const { publicKey } = JSON.parse(form.dataset.options);
    // Keys are bound to the RP id: at any other address (127.0.0.1, say)
    // the browser refuses them, so say where they work instead.
    const rpId = publicKey.rpId || (publicKey.rp && publicKey.rp.id);
    const here = window.location.hostname;
    if (rpId && here !== rpId && !here.endsWith("." + rpId)) {
      if (form.dataset.webauthn === "conditional") {
        form.hidden = true;
      } else {
        problem.textContent = "Security keys work on this site only at " + rpId + ".";
        problem.hidden = false;
        start.disabled = true;
      }
      return;
    }
    let offer = null;
    const ask = async (mediation) => {
      const options = { publicKey: requestOptions(publicKey) };
      if (mediation) {
        offer = new AbortController();
        options.mediation = mediation;
        options.signal = offer.signal;
      }
      return asserted(await navigator.credentials.get(options));
    };
    const send = (answer) => {
      form.elements.credential.value = JSON.stringify(answer);
      form.submit();
    };
    const failed = (error) => {
      if (error.name === "AbortError") return;
      problem.textContent = "The security key did not answer (" + error.name + "). Try again.";
      problem.hidden = false;
      start.disabled = false;
    };
    start.addEventListener("click", async () => {
      start.disabled = true;
      if (offer) offer.abort();
      try {
        send(form.dataset.webauthn === "create"
          ? created(await navigator.credentials.create({ publicKey: creationOptions(publicKey) }))
          : await ask(null));
      } catch (error) {
        failed(error);
      }
    });
    if (form.dataset.webauthn === "conditional" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        // A background offer fails quietly: the button still works.
        if (available) ask("conditional").then(send, () => {});
      });
    }
  });
});

// Hallmark page script: WebAuthn ceremonies for enrollment, login and adding keys.
// Dependency-free. Uses the WebAuthn JSON helpers where the browser has them.
"use strict";

const b64url = {
  decode(s) {
    const pad = "=".repeat((4 - (s.length % 4)) % 4);
    const bin = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  const o = { ...json, challenge: b64url.decode(json.challenge), user: { ...json.user, id: b64url.decode(json.user.id) } };
  o.excludeCredentials = (json.excludeCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) }));
  return o;
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  const o = { ...json, challenge: b64url.decode(json.challenge) };
  o.allowCredentials = (json.allowCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) }));
  return o;
}

function credentialJSON(cred) {
  if (typeof cred.toJSON === "function") return cred.toJSON();
  const r = cred.response;
  const out = { id: cred.id, rawId: b64url.encode(cred.rawId), type: cred.type,
    clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: b64url.encode(r.clientDataJSON) } };
  if (r.attestationObject) {
    out.response.attestationObject = b64url.encode(r.attestationObject);
    out.response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    out.response.authenticatorData = b64url.encode(r.authenticatorData);
    out.response.signature = b64url.encode(r.signature);
    if (r.userHandle) out.response.userHandle = b64url.encode(r.userHandle);
  }
  return out;
}

async function post(url, body) {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const res = await fetch(url, { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(body || {}) });
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error_description: t("Unexpected answer from the server.") }; }
  if (!res.ok) {
    const err = new Error(data.error_description || t("Request failed ({status}).").replace("{status}", res.status));
    err.code = data.error;
    throw err;
  }
  return data;
}

// The page's words for this script, in the reader's language (base.html writes them; idp/web/script_words.py).
const WORDS = JSON.parse((document.getElementById("script-words") || {}).textContent || "{}");
function t(text) { return WORDS[text] || text; }

function status(msg) { document.getElementById("status").textContent = msg; }

function explain(err, username) {
  if (err && err.name === "NotAllowedError" && username) {
    return t("Your key did not offer an account named \"{username}\", or the request was cancelled or timed out. Check the username, or use the key you enrolled with it.").replace("{username}", username);
  }
  if (err && err.name === "NotAllowedError") return t("The security key request was cancelled or timed out.");
  if (err && err.name === "InvalidStateError") return t("This security key is already registered.");
  return (err && err.message) || String(err);
}

async function register(optionsUrl, verifyUrl, body) {
  status(t("Preparing…"));
  const options = await post(optionsUrl, body);
  status(t("Touch your security key…"));
  const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
  status(t("Checking…"));
  const name = (document.getElementById("key-name") || {}).value;
  return post(verifyUrl, { credential: credentialJSON(cred), name });
}

async function touchKey(username, optionsUrl) {
  status(t("Preparing…"));
  const options = await post(optionsUrl || "/login/options", username ? { username } : {});
  status(t("Touch your security key…"));
  const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
  status(t("Checking…"));
  return credentialJSON(cred);
}

async function login(username) {
  const next = new URLSearchParams(location.search).get("next");
  const page = document.querySelector('[data-page="login"]');
  // Only the login page of an authorization request names it: a touch approves that request alone.
  const authorize_request = (page && page.dataset.authorizeRequest) || null;
  return post("/login/verify", { credential: await touchKey(username), next, authorize_request });
}

async function stepUp() {
  const credential = await touchKey("", "/account/touch/options");
  return post("/account/touch/verify", { credential });
}

async function withFreshTouch(action) {
  try { return await action(); } catch (err) {
    if (err.code !== "fresh_touch_required") throw err;
    status(t("Confirm with one of your keys first…"));
    await stepUp();
    return action();
  }
}

async function approveDevice() {
  const own = document.getElementById("confirm-own");
  const confirmed = document.getElementById("confirm-typed") !== null || (own !== null && own.checked);
  if (!confirmed) throw new Error(t("Tick the box to confirm that you started this request yourself."));
  return post("/device/approve", { credential: await touchKey(""), confirmed,
    user_code: document.getElementById("user-code-value").value });
}

function finish(page, result) {
  if (page.dataset.page === "login" && location.pathname === "/authorize") { location.reload(); return; }
  location.assign(result.redirect || "/account");
}

function wire(buttonId, action, username) {
  const button = document.getElementById(buttonId);
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    const page = button.closest("[data-page]");
    try { finish(page, await action()); } catch (err) {
      status(explain(err, username && username())); button.disabled = false;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (!window.PublicKeyCredential) { status(t("This browser does not support security keys (WebAuthn).")); return; }
  const enroll = document.querySelector('[data-page="enroll"]');
  if (enroll) {
    const t = enroll.dataset.token;
    wire("register", () => register(`/enroll/${t}/options`, `/enroll/${t}/verify`,
      { username: document.getElementById("username").value.trim() }));
  }
  wire("login", () => login(""));
  const typedName = () => document.getElementById("login-username").value.trim().toLowerCase();
  wire("login-with-username", () => login(typedName()), typedName);
  wire("add-key", () => withFreshTouch(() => register("/account/keys/options", "/account/keys/verify", {})));
  const stepUpButton = document.getElementById("step-up");
  if (stepUpButton) {
    stepUpButton.addEventListener("click", async () => {
      stepUpButton.disabled = true;
      try { await stepUp(); document.getElementById("step-up-form").submit(); }
      catch (err) { status(explain(err)); stepUpButton.disabled = false; }
    });
  }
  wire("approve", approveDevice);
});

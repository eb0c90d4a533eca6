// amazon-cognito-identity-js's remembered-device flow against Cognate, in one Node process.
//
//   node device_flow.mjs < inputs.json
//
// inputs: {"endpoint", "poolId", "clientId", "username", "password", "totpCode"}: a user
// with a TOTP authenticator in a pool with MFA on and DeviceConfiguration
// {ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true};
// totpCode is a code the server has not seen yet (Python computes it).
//
// 1. authenticateUser (SRP) asks for TOTP; sendMFACode gets tokens with NewDeviceMetadata,
//    and the SDK confirms the device itself (ConfirmDevice, UserConfirmationNecessary).
// 2. setDeviceStatusRemembered, getDevice, listDevices.
// 3. A new CognitoUser with the same Storage signs in again: DEVICE_SRP_AUTH and
//    DEVICE_PASSWORD_VERIFIER instead of SOFTWARE_TOKEN_MFA.
// 4. refreshSession (sends the DEVICE_KEY from Storage).
// 5. setDeviceStatusNotRemembered: the next sign-in asks for TOTP again (not answered).
//
// Every request the SDK makes is logged as [operation, AuthFlow or ChallengeName]. Prints
// one JSON object on stdout; a failure prints {"failed": ..., "error": {...}} and exits 1.
// Driven by tests/devices/test_js_device.py.

import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function errorShape(err) {
  return { code: err?.code ?? null, name: err?.name ?? null, message: err?.message ?? String(err) };
}

// The SDK's Storage interface, kept in this process (what localStorage is in a browser).
class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  setItem(key, value) {
    this.items.set(key, String(value));
    return this.items.get(key);
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  removeItem(key) {
    return this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
}

// authenticateUser (SRP), answering SOFTWARE_TOKEN_MFA with totpCode when given; without
// one, a TOTP request ends the attempt as {stoppedAt: "SOFTWARE_TOKEN_MFA"}.
function signIn(user, inputs, totpCode) {
  const details = new AuthenticationDetails({ Username: inputs.username, Password: inputs.password });
  const asked = [];
  return new Promise((resolve, reject) => {
    const unexpected = (name) => () => reject(new Error(`unexpected ${name}`));
    const callbacks = {
      onSuccess: (session, userConfirmationNecessary) =>
        resolve({ asked, session, userConfirmationNecessary: userConfirmationNecessary ?? null }),
      onFailure: reject,
      totpRequired: (challengeName) => {
        asked.push(challengeName);
        if (!totpCode) {
          resolve({ asked, stoppedAt: challengeName });
          return;
        }
        user.sendMFACode(totpCode, callbacks, "SOFTWARE_TOKEN_MFA");
      },
      newPasswordRequired: unexpected("NEW_PASSWORD_REQUIRED"),
      mfaRequired: unexpected("SMS_MFA"),
      customChallenge: unexpected("CUSTOM_CHALLENGE"),
      selectMFAType: unexpected("SELECT_MFA_TYPE"),
      mfaSetup: unexpected("MFA_SETUP"),
    };
    user.authenticateUser(details, callbacks);
  });
}

function callbacks(fn) {
  return new Promise((resolve, reject) => fn({ onSuccess: resolve, onFailure: reject }));
}

function call(fn) {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

function tokens(session) {
  return {
    accessToken: session.getAccessToken().getJwtToken(),
    refreshToken: session.getRefreshToken().getToken(),
    valid: session.isValid(),
  };
}

async function flow(inputs) {
  const storage = new MemoryStorage();
  const pool = new CognitoUserPool({
    UserPoolId: inputs.poolId,
    ClientId: inputs.clientId,
    endpoint: inputs.endpoint,
    Storage: storage,
  });
  const requests = [];
  const request = pool.client.request.bind(pool.client);
  pool.client.request = (operation, params, callback) => {
    requests.push([operation, params.AuthFlow ?? params.ChallengeName ?? null]);
    return request(operation, params, callback);
  };
  const newUser = () => new CognitoUser({ Username: inputs.username, Pool: pool, Storage: storage });
  const deviceKeyItem = `CognitoIdentityServiceProvider.${inputs.clientId}.${inputs.username}.deviceKey`;
  const out = {};
  const mark = (step) => requests.push(["--", step]);

  mark("first sign-in");
  const user = newUser();
  const first = await signIn(user, inputs, inputs.totpCode);
  out.first = { asked: first.asked, userConfirmationNecessary: first.userConfirmationNecessary, ...tokens(first.session) };
  out.deviceKey = storage.getItem(deviceKeyItem);

  mark("remember");
  out.remembered = await callbacks((cb) => user.setDeviceStatusRemembered(cb));
  out.device = (await callbacks((cb) => user.getDevice(cb))).Device;
  out.listed = (await callbacks((cb) => user.listDevices(10, null, cb))).Devices.map((d) => d.DeviceKey);

  mark("second sign-in");
  const again = newUser();
  const second = await signIn(again, inputs, null);
  out.second = { asked: second.asked, stoppedAt: second.stoppedAt ?? null, ...tokens(second.session) };

  mark("refresh");
  const refreshed = await call((cb) => again.refreshSession(second.session.getRefreshToken(), cb));
  out.refreshed = tokens(refreshed);

  mark("not remembered");
  out.notRemembered = await callbacks((cb) => again.setDeviceStatusNotRemembered(cb));
  const third = await signIn(newUser(), inputs, null);
  out.third = { asked: third.asked, stoppedAt: third.stoppedAt ?? null };

  out.requests = requests;
  return out;
}

try {
  const result = await flow(await readStdin());
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ failed: "device flow", error: errorShape(err) }) + "\n");
  if (err?.stack) console.error(err.stack);
  process.exitCode = 1;
}

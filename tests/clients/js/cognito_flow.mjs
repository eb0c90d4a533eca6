// amazon-cognito-identity-js against Cognate, one step per invocation.
//
//   node cognito_flow.mjs signup  < inputs.json
//   node cognito_flow.mjs session < inputs.json   (inputs.code: the code Cognate e-mailed)
//
// inputs: {"endpoint", "poolId", "clientId", "username", "password", "email", "code"}.
// Prints one JSON object on stdout. An SDK error the step expects is reported as
// {"code", "message"}; any other failure prints {"failed": step, "error": {...}} and
// exits 1. Driven by tests/clients/test_js_sdk.py, which checks the tokens in Python.

import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} from "amazon-cognito-identity-js";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function errorShape(err) {
  return { code: err?.code ?? null, name: err?.name ?? null, message: err?.message ?? String(err) };
}

// Node-style callbacks (err, result) as a promise.
function call(fn) {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

// A call that must fail: its error, or a thrown Error if it succeeded.
async function refused(promise, what) {
  try {
    await promise;
  } catch (err) {
    return errorShape(err);
  }
  throw new Error(`${what} succeeded but should have been refused`);
}

function sessionTokens(session) {
  return {
    idToken: session.getIdToken().getJwtToken(),
    accessToken: session.getAccessToken().getJwtToken(),
    refreshToken: session.getRefreshToken().getToken(),
    valid: session.isValid(),
  };
}

// authenticateUser with the SDK's default flow (USER_SRP_AUTH, then PASSWORD_VERIFIER).
function signIn(user, username, password) {
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve, reject) => {
    user.authenticateUser(details, {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
      mfaRequired: () => reject(new Error("unexpected SMS_MFA")),
      totpRequired: () => reject(new Error("unexpected SOFTWARE_TOKEN_MFA")),
      customChallenge: () => reject(new Error("unexpected CUSTOM_CHALLENGE")),
      selectMFAType: () => reject(new Error("unexpected SELECT_MFA_TYPE")),
      mfaSetup: () => reject(new Error("unexpected MFA_SETUP")),
    });
  });
}

function setUp(inputs) {
  const pool = new CognitoUserPool({ UserPoolId: inputs.poolId, ClientId: inputs.clientId, endpoint: inputs.endpoint });
  const user = new CognitoUser({ Username: inputs.username, Pool: pool });
  return { pool, user };
}

async function signup(inputs) {
  const { pool, user } = setUp(inputs);
  const attributes = [new CognitoUserAttribute({ Name: "email", Value: inputs.email })];
  const result = await call((cb) => pool.signUp(inputs.username, inputs.password, attributes, null, cb));
  return {
    userConfirmed: result.userConfirmed,
    userSub: result.userSub,
    codeDeliveryDetails: result.codeDeliveryDetails,
    // Signing in before confirming is refused; the SRP claim itself is right.
    signInUnconfirmed: await refused(signIn(user, inputs.username, inputs.password), "sign-in before confirmation"),
  };
}

async function session(inputs) {
  const { user } = setUp(inputs);
  const wrongCode = String((Number(inputs.code) + 1) % 1000000).padStart(6, "0");
  const out = {};
  out.confirmWrongCode = await refused(call((cb) => user.confirmRegistration(wrongCode, true, cb)), "a wrong code");
  out.confirm = await call((cb) => user.confirmRegistration(inputs.code, true, cb));
  out.signInWrongPassword = await refused(signIn(user, inputs.username, inputs.password + "x"), "a wrong password");
  const first = await signIn(user, inputs.username, inputs.password);
  out.signIn = sessionTokens(first);
  const refreshed = await call((cb) => user.refreshSession(first.getRefreshToken(), cb));
  out.refresh = sessionTokens(refreshed);
  const attributes = await call((cb) => user.getUserAttributes(cb));
  out.attributes = Object.fromEntries(attributes.map((a) => [a.getName(), a.getValue()]));
  out.globalSignOut = await new Promise((resolve, reject) =>
    user.globalSignOut({ onSuccess: resolve, onFailure: reject }),
  );
  return out;
}

const STEPS = { signup, session };

const step = process.argv[2];
if (!STEPS[step]) {
  console.error(`usage: node cognito_flow.mjs (${Object.keys(STEPS).join("|")}) < inputs.json`);
  process.exit(2);
}
try {
  const result = await STEPS[step](await readStdin());
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ failed: step, error: errorShape(err) }) + "\n");
  if (err?.stack) console.error(err.stack);
  process.exitCode = 1;
}

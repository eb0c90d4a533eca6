// A user-pool sign-in with amazon-cognito-identity-js, then the identity pool through the
// AWS SDK for JavaScript v3's cognito-identity client, in one Node process.
//
//   node identity_flow.mjs < inputs.json
//
// inputs: {"endpoint", "region", "poolId", "clientId", "username", "password",
//          "identityPoolId", "allowGuests"}: a confirmed user in a user pool whose client
// allows SRP, and an identity pool that trusts that user pool and client.
//
// 1. authenticateUser (USER_SRP_AUTH, PASSWORD_VERIFIER) gets an ID token.
// 2. GetId and GetCredentialsForIdentity with
//    Logins {"cognito-idp.<region>.amazonaws.com/<UserPoolId>": idToken}.
// 3. When allowGuests: GetId and GetCredentialsForIdentity with no Logins (a guest).
// 4. The ID token with its payload changed (another `sub`, the signature kept): GetId and
//    GetCredentialsForIdentity must be refused; their errors are reported as
//    {"name", "message", "httpStatusCode", "fault"}.
//
// The cognito-identity client gets only {region, endpoint}: no credentials (GetId and
// GetCredentialsForIdentity are unsigned operations). Every request either SDK makes is
// logged: amazon-cognito-identity-js's as [operation, AuthFlow or ChallengeName], the
// cognito-identity client's as {target, url, signed, status}. Prints one JSON object on
// stdout; a failure prints {"failed": ..., "error": {...}} and exits 1.
// Driven by tests/clients/test_js_identity.py.

import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from "@aws-sdk/client-cognito-identity";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function errorShape(err) {
  return {
    code: err?.code ?? null,
    name: err?.name ?? null,
    message: err?.message ?? String(err),
    httpStatusCode: err?.$metadata?.httpStatusCode ?? null,
    fault: err?.$fault ?? null,
  };
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

// authenticateUser with the SDK's default flow (USER_SRP_AUTH, then PASSWORD_VERIFIER).
function signIn(user, username, password) {
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve, reject) => {
    const unexpected = (name) => () => reject(new Error(`unexpected ${name}`));
    user.authenticateUser(details, {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: unexpected("NEW_PASSWORD_REQUIRED"),
      mfaRequired: unexpected("SMS_MFA"),
      totpRequired: unexpected("SOFTWARE_TOKEN_MFA"),
      customChallenge: unexpected("CUSTOM_CHALLENGE"),
      selectMFAType: unexpected("SELECT_MFA_TYPE"),
      mfaSetup: unexpected("MFA_SETUP"),
    });
  });
}

// The same JWT with one claim changed and the original signature: what a forger can make.
function forged(jwt, claims) {
  const [header, payload, signature] = jwt.split(".");
  const body = { ...JSON.parse(Buffer.from(payload, "base64url").toString("utf8")), ...claims };
  return [header, Buffer.from(JSON.stringify(body)).toString("base64url"), signature].join(".");
}

function credentialsShape(credentials) {
  return {
    AccessKeyId: credentials.AccessKeyId,
    SecretKey: credentials.SecretKey,
    SessionToken: credentials.SessionToken,
    // A Date after the SDK's deserializer (the wire carries epoch seconds).
    Expiration: credentials.Expiration instanceof Date ? credentials.Expiration.toISOString() : null,
  };
}

// GetId then GetCredentialsForIdentity with the same Logins (none for a guest).
async function identityCredentials(client, identityPoolId, logins) {
  const loginsMember = logins ? { Logins: logins } : {};
  const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: identityPoolId, ...loginsMember }));
  const answer = await client.send(new GetCredentialsForIdentityCommand({ IdentityId, ...loginsMember }));
  return {
    identityId: IdentityId,
    credentialsIdentityId: answer.IdentityId,
    credentials: credentialsShape(answer.Credentials),
  };
}

function identityClient(inputs, requests) {
  const client = new CognitoIdentityClient({ region: inputs.region, endpoint: inputs.endpoint });
  // At the deserialize step the request is final (signed, if it were signed) and about to go out.
  client.middlewareStack.add(
    (next) => async (args) => {
      const { request } = args;
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const entry = {
        target: headers["x-amz-target"] ?? null,
        url: `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`,
        signed: "authorization" in headers || "x-amz-security-token" in headers,
        status: null,
      };
      requests.push(entry);
      try {
        const result = await next(args);
        entry.status = result.response?.statusCode ?? null;
        return result;
      } catch (err) {
        entry.status = err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode ?? null;
        throw err;
      }
    },
    { step: "deserialize", name: "cognateRequestLog", priority: "high" },
  );
  return client;
}

async function flow(inputs) {
  const out = { userPoolRequests: [], identityRequests: [] };

  const pool = new CognitoUserPool({ UserPoolId: inputs.poolId, ClientId: inputs.clientId, endpoint: inputs.endpoint });
  const request = pool.client.request.bind(pool.client);
  pool.client.request = (operation, params, callback) => {
    out.userPoolRequests.push([operation, params.AuthFlow ?? params.ChallengeName ?? null]);
    return request(operation, params, callback);
  };
  const user = new CognitoUser({ Username: inputs.username, Pool: pool });
  const session = await signIn(user, inputs.username, inputs.password);
  const idToken = session.getIdToken().getJwtToken();
  out.idTokenSub = session.getIdToken().decodePayload().sub;

  const client = identityClient(inputs, out.identityRequests);
  const provider = `cognito-idp.${inputs.region}.amazonaws.com/${inputs.poolId}`;
  try {
    out.authenticated = await identityCredentials(client, inputs.identityPoolId, { [provider]: idToken });
    if (inputs.allowGuests) out.guest = await identityCredentials(client, inputs.identityPoolId, null);

    const bad = { [provider]: forged(idToken, { sub: "00000000-0000-4000-8000-000000000000" }) };
    out.tampered = {
      getId: await refused(
        client.send(new GetIdCommand({ IdentityPoolId: inputs.identityPoolId, Logins: bad })),
        "GetId with a tampered ID token",
      ),
      getCredentials: await refused(
        client.send(new GetCredentialsForIdentityCommand({ IdentityId: out.authenticated.identityId, Logins: bad })),
        "GetCredentialsForIdentity with a tampered ID token",
      ),
    };
  } finally {
    client.destroy();
  }
  return out;
}

try {
  const result = await flow(await readStdin());
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ failed: "identity flow", error: errorShape(err) }) + "\n");
  if (err?.stack) console.error(err.stack);
  process.exitCode = 1;
}

// The app of tests/amplify: Amplify JS v6 with the hosted UI (signInWithRedirect), configured
// from window.COGNATE_CONFIG (config.js, written by the test), showing what Amplify holds
// after the redirect back: getCurrentUser() and fetchAuthSession()'s tokens.
import { Amplify } from "aws-amplify";
import { fetchAuthSession, getCurrentUser, signInWithRedirect, signOut } from "aws-amplify/auth";
import "aws-amplify/auth/enable-oauth-listener";
import { Hub } from "aws-amplify/utils";

const config = window.COGNATE_CONFIG;
const appUrl = config.appUrl;

Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: config.userPoolId,
      userPoolClientId: config.userPoolClientId,
      // the wire API (RevokeToken on signOut, refreshes) goes to Cognate, not AWS
      userPoolEndpoint: config.userPoolEndpoint,
      loginWith: {
        oauth: {
          domain: config.domain,
          scopes: ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
          redirectSignIn: [appUrl],
          redirectSignOut: [appUrl],
          responseType: "code",
        },
      },
    },
  },
});

const $ = (id) => document.getElementById(id);

function show(state, detail) {
  document.body.dataset.state = state;
  $("state").textContent = state;
  $("sign-in").hidden = state !== "signed-out";
  $("sign-out").hidden = state !== "signed-in";
  $("user").hidden = state !== "signed-in";
  if (detail) {
    $("error").textContent = detail;
    $("error").hidden = false;
  }
}

async function render() {
  try {
    // Both wait for the OAuth listener to finish the code exchange after the redirect back.
    const session = await fetchAuthSession();
    if (!session.tokens) {
      show("signed-out");
      return;
    }
    const user = await getCurrentUser();
    $("username").textContent = user.username;
    $("user-id").textContent = user.userId;
    $("id-token").textContent = session.tokens.idToken ? session.tokens.idToken.toString() : "";
    $("access-token").textContent = session.tokens.accessToken.toString();
    show("signed-in");
  } catch (error) {
    show("error", `${error.name}: ${error.message}`);
  }
}

Hub.listen("auth", ({ payload }) => {
  if (payload.event === "signInWithRedirect") render();
  if (payload.event === "signInWithRedirect_failure") {
    const error = payload.data && payload.data.error;
    show("error", error ? `${error.name}: ${error.message}` : "signInWithRedirect_failure");
  }
});

$("sign-in").addEventListener("click", () => {
  signInWithRedirect().catch((error) => show("error", `${error.name}: ${error.message}`));
});
$("sign-out").addEventListener("click", () => {
  signOut().catch((error) => show("error", `${error.name}: ${error.message}`));
});

render();

"""The REST API's self-service under an app client, unsigned as in Cognito: sign-up, its
confirmation and password recovery (see :mod:`userpools.api.directory`)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.directory import DirectoryApiView
from userpools.api.views import CLIENT_ID
from userpools.context import ServiceContext
from userpools.services import recovery, signup

SELF_SERVICE_ERRORS = {
    400: OpenApiResponse(
        s.ErrorOutput, description="InvalidParameterException, CodeMismatchException, UsernameExistsException ..."
    ),
    403: OpenApiResponse(s.ErrorOutput, description="NotAuthorizedException: wrong SecretHash, user disabled ..."),
    404: OpenApiResponse(s.ErrorOutput, description="ResourceNotFoundException: no such app client."),
    409: OpenApiResponse(s.ErrorOutput, description="LimitExceededException: too many codes sent."),
}
SELF_SERVICE_TAG = ["Self-service"]


class SelfServiceApiView(DirectoryApiView):
    """Unsigned, as in Cognito: the app client in the URL (and its SecretHash) authenticates the call.

    Authorization headers are ignored (no authentication class runs), so a signed
    request is treated like any other; the services answer NotAuthorizedException for a
    missing or wrong SecretHash and honour the client's PreventUserExistenceErrors.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def service_context(self) -> ServiceContext:
        # The services record an anonymous caller as acting through its app client.
        request = self.request
        return ServiceContext(
            actor="anonymous",
            source_ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent"),
            request_id=str(uuid.uuid4()),
        )


class SignUpApi(SelfServiceApiView):
    """SignUp."""

    @extend_schema(
        operation_id="signUp",
        summary="Sign up",
        description=(
            "SignUp: an UNCONFIRMED user; when the pool verifies email or phone numbers a code is sent. "
            "The body is Cognito's SignUpRequest without ClientId."
        ),
        parameters=[CLIENT_ID],
        request=s.SignUpInput,
        responses={200: s.SignUpOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("SignUp", s.SignUpInput, ClientId=client_id)
        result = signup.user_sign_up(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            password=req.get("Password"),
            attributes=req.get("UserAttributes") or [],
        )
        return Response(s.output("SignUpResponse", shapes.sign_up_result(result)))


class ConfirmSignUpApi(SelfServiceApiView):
    """ConfirmSignUp."""

    @extend_schema(
        operation_id="confirmSignUp",
        summary="Confirm a sign-up with its code",
        description="ConfirmSignUp: the code confirms the user and verifies the address it was sent to.",
        parameters=[CLIENT_ID],
        request=s.ConfirmSignUpInput,
        responses={204: None, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ConfirmSignUp", s.ConfirmSignUpInput, ClientId=client_id)
        signup.user_confirm_sign_up(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            code=req["ConfirmationCode"],
            force_alias=bool(req.get("ForceAliasCreation", False)),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResendConfirmationCodeApi(SelfServiceApiView):
    """ResendConfirmationCode."""

    @extend_schema(
        operation_id="resendConfirmationCode",
        summary="Send a new sign-up code",
        description="ResendConfirmationCode: the previous code stops working.",
        parameters=[CLIENT_ID],
        request=s.ResendConfirmationCodeInput,
        responses={200: s.ResendConfirmationCodeOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ResendConfirmationCode", s.ResendConfirmationCodeInput, ClientId=client_id)
        details = signup.user_resend_confirmation_code(
            self.service_context(), client_id=client_id, secret_hash=req.get("SecretHash"), username=req["Username"]
        )
        return Response(s.output("ResendConfirmationCodeResponse", {"CodeDeliveryDetails": details}))


class ForgotPasswordApi(SelfServiceApiView):
    """ForgotPassword."""

    @extend_schema(
        operation_id="forgotPassword",
        summary="Start a password reset",
        description="ForgotPassword: a code goes to the user's verified email address or phone number.",
        parameters=[CLIENT_ID],
        request=s.ForgotPasswordInput,
        responses={200: s.ForgotPasswordOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ForgotPassword", s.ForgotPasswordInput, ClientId=client_id)
        details = recovery.password_reset_start(
            self.service_context(), client_id=client_id, secret_hash=req.get("SecretHash"), username=req["Username"]
        )
        return Response(s.output("ForgotPasswordResponse", {"CodeDeliveryDetails": details}))


class ConfirmForgotPasswordApi(SelfServiceApiView):
    """ConfirmForgotPassword."""

    @extend_schema(
        operation_id="confirmForgotPassword",
        summary="Set a new password with a reset code",
        description="ConfirmForgotPassword: the code sets the new password and the user is CONFIRMED.",
        parameters=[CLIENT_ID],
        request=s.ConfirmForgotPasswordInput,
        responses={204: None, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ConfirmForgotPassword", s.ConfirmForgotPasswordInput, ClientId=client_id)
        recovery.password_reset_confirm(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            code=req["ConfirmationCode"],
            password=req["Password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "SignUpApi",
    "ConfirmSignUpApi",
    "ResendConfirmationCodeApi",
    "ForgotPasswordApi",
    "ConfirmForgotPasswordApi",
]

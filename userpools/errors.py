"""Domain errors: one hierarchy with stable codes from Cognito's error vocabulary.

Services raise these; each protocol renders them through its one translation table
(``config.wire.views`` for the AWS JSON protocol, ``userpools.api.errors`` for REST).
The code is the error name of the botocore service model, so the AWS adapter's table
is the identity and SDK users can catch ``client.exceptions.<Code>``. Tests assert
codes, never message text.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # Input and protocol
    INVALID_PARAMETER = "InvalidParameterException"
    SERIALIZATION = "SerializationException"
    UNKNOWN_OPERATION = "UnknownOperationException"
    UNSUPPORTED_OPERATION = "UnsupportedOperationException"
    # Caller authentication and authorization
    MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException"
    INCOMPLETE_SIGNATURE = "IncompleteSignatureException"
    INVALID_SIGNATURE = "InvalidSignatureException"
    UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
    ACCESS_DENIED = "AccessDeniedException"
    NOT_AUTHORIZED = "NotAuthorizedException"
    # Resources
    RESOURCE_NOT_FOUND = "ResourceNotFoundException"
    LIMIT_EXCEEDED = "LimitExceededException"
    TOO_MANY_REQUESTS = "TooManyRequestsException"
    CONCURRENT_MODIFICATION = "ConcurrentModificationException"
    USER_POOL_TAGGING = "UserPoolTaggingException"
    FEATURE_UNAVAILABLE_IN_TIER = "FeatureUnavailableInTierException"
    TIER_CHANGE_NOT_ALLOWED = "TierChangeNotAllowedException"
    INVALID_OAUTH_FLOW = "InvalidOAuthFlowException"
    SCOPE_DOES_NOT_EXIST = "ScopeDoesNotExistException"
    OPERATION_NOT_ENABLED = "OperationNotEnabledException"
    # Identity providers
    DUPLICATE_PROVIDER = "DuplicateProviderException"
    UNSUPPORTED_IDENTITY_PROVIDER = "UnsupportedIdentityProviderException"
    # Hosted pages: branding and terms
    MANAGED_LOGIN_BRANDING_EXISTS = "ManagedLoginBrandingExistsException"
    TERMS_EXISTS = "TermsExistsException"
    # Users, codes and passwords
    USER_NOT_FOUND = "UserNotFoundException"
    USERNAME_EXISTS = "UsernameExistsException"
    ALIAS_EXISTS = "AliasExistsException"
    USER_NOT_CONFIRMED = "UserNotConfirmedException"
    UNSUPPORTED_USER_STATE = "UnsupportedUserStateException"
    PASSWORD_RESET_REQUIRED = "PasswordResetRequiredException"
    INVALID_PASSWORD = "InvalidPasswordException"
    PASSWORD_HISTORY_POLICY_VIOLATION = "PasswordHistoryPolicyViolationException"
    CODE_MISMATCH = "CodeMismatchException"
    EXPIRED_CODE = "ExpiredCodeException"
    TOO_MANY_FAILED_ATTEMPTS = "TooManyFailedAttemptsException"
    CODE_DELIVERY_FAILURE = "CodeDeliveryFailureException"
    GROUP_EXISTS = "GroupExistsException"
    PRECONDITION_NOT_MET = "PreconditionNotMetException"
    # MFA and devices
    ENABLE_SOFTWARE_TOKEN_MFA = "EnableSoftwareTokenMFAException"
    SOFTWARE_TOKEN_MFA_NOT_FOUND = "SoftwareTokenMFANotFoundException"
    MFA_METHOD_NOT_FOUND = "MFAMethodNotFoundException"
    INVALID_USER_POOL_CONFIGURATION = "InvalidUserPoolConfigurationException"
    DEVICE_KEY_EXISTS = "DeviceKeyExistsException"
    WEB_AUTHN_NOT_ENABLED = "WebAuthnNotEnabledException"
    WEB_AUTHN_CHALLENGE_NOT_FOUND = "WebAuthnChallengeNotFoundException"
    WEB_AUTHN_RELYING_PARTY_MISMATCH = "WebAuthnRelyingPartyMismatchException"
    WEB_AUTHN_CLIENT_MISMATCH = "WebAuthnClientMismatchException"
    WEB_AUTHN_ORIGIN_NOT_ALLOWED = "WebAuthnOriginNotAllowedException"
    WEB_AUTHN_CREDENTIAL_NOT_SUPPORTED = "WebAuthnCredentialNotSupportedException"
    WEB_AUTHN_CONFIGURATION_MISSING = "WebAuthnConfigurationMissingException"
    # Server
    INTERNAL_ERROR = "InternalErrorException"
    # Tokens
    REFRESH_TOKEN_REUSE = "RefreshTokenReuseException"
    UNAUTHORIZED = "UnauthorizedException"
    UNSUPPORTED_TOKEN_TYPE = "UnsupportedTokenTypeException"
    # Identity pools (cognito-identity model)
    RESOURCE_CONFLICT = "ResourceConflictException"
    INVALID_IDENTITY_POOL_CONFIGURATION = "InvalidIdentityPoolConfigurationException"
    EXTERNAL_SERVICE = "ExternalServiceException"
    DEVELOPER_USER_ALREADY_REGISTERED = "DeveloperUserAlreadyRegisteredException"
    EXPIRED_TOKEN = "ExpiredTokenException"  # temporary credentials past their Expiration


class ErrorReason(StrEnum):
    """Why, where one code covers several causes a protocol layer must tell apart (the
    hosted pages restart a sign-in whose session is gone): for machines, unlike ``message``."""

    SESSION_INVALID = "session_invalid"
    SESSION_EXPIRED = "session_expired"


SESSION_REASONS = frozenset({ErrorReason.SESSION_INVALID, ErrorReason.SESSION_EXPIRED})


class ServiceError(Exception):
    """A failure a client caused or may see; ``code`` is stable, ``message`` is for people,
    ``reason`` (optional) is stable too and finer than ``code``."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None, reason: ErrorReason | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value}: {self.message!r})"


def _error(name: str, code: ErrorCode) -> type[ServiceError]:
    return type(name, (ServiceError,), {"code": code, "__doc__": f"Rendered as ``{code.value}``."})


InvalidParameter = _error("InvalidParameter", ErrorCode.INVALID_PARAMETER)
SerializationError = _error("SerializationError", ErrorCode.SERIALIZATION)
UnknownOperation = _error("UnknownOperation", ErrorCode.UNKNOWN_OPERATION)
UnsupportedOperation = _error("UnsupportedOperation", ErrorCode.UNSUPPORTED_OPERATION)
AccessDenied = _error("AccessDenied", ErrorCode.ACCESS_DENIED)
NotAuthorized = _error("NotAuthorized", ErrorCode.NOT_AUTHORIZED)
ResourceNotFound = _error("ResourceNotFound", ErrorCode.RESOURCE_NOT_FOUND)
LimitExceeded = _error("LimitExceeded", ErrorCode.LIMIT_EXCEEDED)
ConcurrentModification = _error("ConcurrentModification", ErrorCode.CONCURRENT_MODIFICATION)
UserPoolTagging = _error("UserPoolTagging", ErrorCode.USER_POOL_TAGGING)
FeatureUnavailableInTier = _error("FeatureUnavailableInTier", ErrorCode.FEATURE_UNAVAILABLE_IN_TIER)
TierChangeNotAllowed = _error("TierChangeNotAllowed", ErrorCode.TIER_CHANGE_NOT_ALLOWED)
InvalidOAuthFlow = _error("InvalidOAuthFlow", ErrorCode.INVALID_OAUTH_FLOW)
ScopeDoesNotExist = _error("ScopeDoesNotExist", ErrorCode.SCOPE_DOES_NOT_EXIST)
OperationNotEnabled = _error("OperationNotEnabled", ErrorCode.OPERATION_NOT_ENABLED)
DuplicateProvider = _error("DuplicateProvider", ErrorCode.DUPLICATE_PROVIDER)
UnsupportedIdentityProvider = _error("UnsupportedIdentityProvider", ErrorCode.UNSUPPORTED_IDENTITY_PROVIDER)
ManagedLoginBrandingExists = _error("ManagedLoginBrandingExists", ErrorCode.MANAGED_LOGIN_BRANDING_EXISTS)
TermsExists = _error("TermsExists", ErrorCode.TERMS_EXISTS)
UserNotFound = _error("UserNotFound", ErrorCode.USER_NOT_FOUND)
UsernameExists = _error("UsernameExists", ErrorCode.USERNAME_EXISTS)
AliasExists = _error("AliasExists", ErrorCode.ALIAS_EXISTS)
UserNotConfirmed = _error("UserNotConfirmed", ErrorCode.USER_NOT_CONFIRMED)
UnsupportedUserState = _error("UnsupportedUserState", ErrorCode.UNSUPPORTED_USER_STATE)
PasswordResetRequired = _error("PasswordResetRequired", ErrorCode.PASSWORD_RESET_REQUIRED)
InvalidPassword = _error("InvalidPassword", ErrorCode.INVALID_PASSWORD)
PasswordHistoryPolicyViolation = _error("PasswordHistoryPolicyViolation", ErrorCode.PASSWORD_HISTORY_POLICY_VIOLATION)
CodeMismatch = _error("CodeMismatch", ErrorCode.CODE_MISMATCH)
ExpiredCode = _error("ExpiredCode", ErrorCode.EXPIRED_CODE)
TooManyFailedAttempts = _error("TooManyFailedAttempts", ErrorCode.TOO_MANY_FAILED_ATTEMPTS)
CodeDeliveryFailure = _error("CodeDeliveryFailure", ErrorCode.CODE_DELIVERY_FAILURE)
GroupExists = _error("GroupExists", ErrorCode.GROUP_EXISTS)
EnableSoftwareTokenMFA = _error("EnableSoftwareTokenMFA", ErrorCode.ENABLE_SOFTWARE_TOKEN_MFA)
SoftwareTokenMFANotFound = _error("SoftwareTokenMFANotFound", ErrorCode.SOFTWARE_TOKEN_MFA_NOT_FOUND)
MFAMethodNotFound = _error("MFAMethodNotFound", ErrorCode.MFA_METHOD_NOT_FOUND)
InvalidUserPoolConfiguration = _error("InvalidUserPoolConfiguration", ErrorCode.INVALID_USER_POOL_CONFIGURATION)
DeviceKeyExists = _error("DeviceKeyExists", ErrorCode.DEVICE_KEY_EXISTS)
WebAuthnNotEnabled = _error("WebAuthnNotEnabled", ErrorCode.WEB_AUTHN_NOT_ENABLED)
WebAuthnChallengeNotFound = _error("WebAuthnChallengeNotFound", ErrorCode.WEB_AUTHN_CHALLENGE_NOT_FOUND)
WebAuthnRelyingPartyMismatch = _error("WebAuthnRelyingPartyMismatch", ErrorCode.WEB_AUTHN_RELYING_PARTY_MISMATCH)
WebAuthnClientMismatch = _error("WebAuthnClientMismatch", ErrorCode.WEB_AUTHN_CLIENT_MISMATCH)
WebAuthnOriginNotAllowed = _error("WebAuthnOriginNotAllowed", ErrorCode.WEB_AUTHN_ORIGIN_NOT_ALLOWED)
WebAuthnCredentialNotSupported = _error("WebAuthnCredentialNotSupported", ErrorCode.WEB_AUTHN_CREDENTIAL_NOT_SUPPORTED)
WebAuthnConfigurationMissing = _error("WebAuthnConfigurationMissing", ErrorCode.WEB_AUTHN_CONFIGURATION_MISSING)
RefreshTokenReuse = _error("RefreshTokenReuse", ErrorCode.REFRESH_TOKEN_REUSE)
Unauthorized = _error("Unauthorized", ErrorCode.UNAUTHORIZED)
UnsupportedTokenType = _error("UnsupportedTokenType", ErrorCode.UNSUPPORTED_TOKEN_TYPE)
ResourceConflict = _error("ResourceConflict", ErrorCode.RESOURCE_CONFLICT)
InvalidIdentityPoolConfiguration = _error(
    "InvalidIdentityPoolConfiguration", ErrorCode.INVALID_IDENTITY_POOL_CONFIGURATION
)
ExternalService = _error("ExternalService", ErrorCode.EXTERNAL_SERVICE)
DeveloperUserAlreadyRegistered = _error("DeveloperUserAlreadyRegistered", ErrorCode.DEVELOPER_USER_ALREADY_REGISTERED)

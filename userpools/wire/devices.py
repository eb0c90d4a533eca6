"""Wire handlers for remembered devices: ConfirmDevice, GetDevice, ListDevices,
ForgetDevice and UpdateDeviceStatus (authorized by the user's access token), and the
signed AdminGetDevice, AdminListDevices, AdminForgetDevice and AdminUpdateDeviceStatus.
Each calls one service of :mod:`userpools.services.devices`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from userpools import shapes
from userpools.context import ServiceContext
from userpools.models import User
from userpools.services import devices, tokens


def _signed_in(ctx: ServiceContext, req: dict) -> tuple[ServiceContext, User]:
    # GetDevice and ForgetDevice mark AccessToken optional in the model; without one the caller is not authorized.
    user, claims = tokens.access_token_authenticate(req.get("AccessToken") or "")
    tokens.access_token_require_admin_scope(claims)
    return dataclasses.replace(ctx, actor=f"user:{user.sub}"), user


def confirm_device(ctx: ServiceContext, req: dict) -> dict:
    ctx, user = _signed_in(ctx, req)
    necessary = devices.device_confirm(
        ctx,
        user=user,
        device_key=req["DeviceKey"],
        name=req.get("DeviceName"),
        verifier_config=req.get("DeviceSecretVerifierConfig"),
    )
    return {"UserConfirmationNecessary": necessary}


def get_device(ctx: ServiceContext, req: dict) -> dict:
    _, user = _signed_in(ctx, req)
    return {"Device": shapes.device(devices.device_get(user=user, device_key=req["DeviceKey"]))}


def list_devices(ctx: ServiceContext, req: dict) -> dict:
    _, user = _signed_in(ctx, req)
    return shapes.device_page(devices.devices_list(user=user, limit=req.get("Limit"), token=req.get("PaginationToken")))


def forget_device(ctx: ServiceContext, req: dict) -> dict:
    ctx, user = _signed_in(ctx, req)
    devices.device_forget(ctx, user=user, device_key=req["DeviceKey"])
    return {}


def update_device_status(ctx: ServiceContext, req: dict) -> dict:
    ctx, user = _signed_in(ctx, req)
    devices.device_status_update(ctx, user=user, device_key=req["DeviceKey"], status=req.get("DeviceRememberedStatus"))
    return {}


def admin_get_device(ctx: ServiceContext, req: dict) -> dict:
    return {
        "Device": shapes.device(
            devices.device_admin_get(pool_id=req["UserPoolId"], username=req["Username"], device_key=req["DeviceKey"])
        )
    }


def admin_list_devices(ctx: ServiceContext, req: dict) -> dict:
    return shapes.device_page(
        devices.devices_admin_list(
            pool_id=req["UserPoolId"],
            username=req["Username"],
            limit=req.get("Limit"),
            token=req.get("PaginationToken"),
        )
    )


def admin_forget_device(ctx: ServiceContext, req: dict) -> dict:
    devices.device_admin_forget(ctx, pool_id=req["UserPoolId"], username=req["Username"], device_key=req["DeviceKey"])
    return {}


def admin_update_device_status(ctx: ServiceContext, req: dict) -> dict:
    devices.device_admin_status_update(
        ctx,
        pool_id=req["UserPoolId"],
        username=req["Username"],
        device_key=req["DeviceKey"],
        status=req.get("DeviceRememberedStatus"),
    )
    return {}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "ConfirmDevice": confirm_device,
    "GetDevice": get_device,
    "ListDevices": list_devices,
    "ForgetDevice": forget_device,
    "UpdateDeviceStatus": update_device_status,
    "AdminGetDevice": admin_get_device,
    "AdminListDevices": admin_list_devices,
    "AdminForgetDevice": admin_forget_device,
    "AdminUpdateDeviceStatus": admin_update_device_status,
}

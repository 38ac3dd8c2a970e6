"""Knowledge-base helpers: sample texts and uploads through the API."""

from __future__ import annotations

from typing import Any

SHIPPING = (
    "Shipping. We send parcels with DHL to every country in the European Union. Delivery to Spain, "
    "Portugal and France takes three to five working days. Orders over 60 euros ship for free. "
)
RETURNS = (
    "Returns. You may send back any unused item within thirty days of delivery. We refund the full "
    "price to the original payment method within a week of receiving the parcel. "
)
CARE = (
    "Caring for linen. Wash our linen shirts at forty degrees, inside out, and dry them flat in the "
    "shade. Never tumble dry linen, it shrinks. "
)


async def upload(client: Any, user: Any, ws: str, name: str, data: bytes, content_type: str) -> Any:
    return await client.post(
        "/api/kb/documents",
        headers=user.headers(ws),
        files={"file": (name, data, content_type)},
        data={"title": name},
    )

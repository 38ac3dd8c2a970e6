"""Instagram calls SocialSync makes: messaging, comments, reconciliation reads, publishing."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.platforms.meta.budget import Rate
from app.platforms.meta.graph_api import GraphAPI


class InstagramClient:
    def __init__(self, graph: GraphAPI, settings: Settings) -> None:
        self.graph = graph
        self.ig_id = graph.account_id
        self._send = Rate(settings.instagram_send_per_s, max(1, int(settings.instagram_send_per_s)))
        per_hour = settings.instagram_private_replies_per_hour
        self._private = Rate(per_hour / 3600, per_hour)
        self._conversations = Rate(
            settings.instagram_conversations_per_s,
            max(1, int(settings.instagram_conversations_per_s)),
        )

    # -- messaging
    async def user_profile(self, igsid: str) -> dict[str, Any]:
        """Name, username and picture of someone who wrote to the account (User Profile API);
        Meta answers 230 for someone who never did."""
        return await self.graph.request(
            "GET", igsid, params={"fields": "name,username,profile_pic"}
        )

    async def send_text(
        self,
        recipient_id: str,
        text: str,
        *,
        quick_replies: list[str] | None = None,
        tag: str | None = None,
        metadata: str | None = None,
    ) -> str:
        message: dict[str, Any] = {"text": text}
        if quick_replies:
            message["quick_replies"] = [
                {"content_type": "text", "title": q[:20], "payload": q} for q in quick_replies[:13]
            ]
        if metadata:
            message["metadata"] = metadata
        body: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": message}
        if tag:
            body.update({"messaging_type": "MESSAGE_TAG", "tag": tag})
        result = await self.graph.request(
            "POST", f"{self.ig_id}/messages", json=body, bucket="send", rate=self._send, sends=True
        )
        return str(result["message_id"])

    async def send_image(
        self, recipient_id: str, url: str, *, tag: str | None = None, metadata: str | None = None
    ) -> str:
        message: dict[str, Any] = {"attachment": {"type": "image", "payload": {"url": url}}}
        if metadata:
            message["metadata"] = metadata
        body: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": message}
        if tag:
            body.update({"messaging_type": "MESSAGE_TAG", "tag": tag})
        result = await self.graph.request(
            "POST",
            f"{self.ig_id}/messages",
            json=body,
            bucket="send",
            rate=self._send,
            sends=True,
        )
        return str(result["message_id"])

    # -- comments
    async def reply_to_comment(self, comment_id: str, text: str) -> str:
        result = await self.graph.request(
            "POST",
            f"{comment_id}/replies",
            params={"message": text},
            bucket="send",
            rate=self._send,
            sends=True,
        )
        return str(result["id"])

    async def private_reply(
        self, comment_id: str, text: str, *, metadata: str | None = None
    ) -> str:
        message: dict[str, Any] = {"text": text}
        if metadata:
            message["metadata"] = metadata
        result = await self.graph.request(
            "POST",
            f"{self.ig_id}/messages",
            json={"recipient": {"comment_id": comment_id}, "message": message},
            bucket="private_reply",
            rate=self._private,
            sends=True,
        )
        return str(result["message_id"])

    async def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        await self.graph.request("POST", comment_id, params={"hide": "true" if hidden else "false"})

    async def delete_comment(self, comment_id: str) -> None:
        await self.graph.request("DELETE", comment_id)

    # -- reconciliation reads
    async def list_media(self, limit: int = 25) -> list[dict[str, Any]]:
        result = await self.graph.request(
            "GET",
            f"{self.ig_id}/media",
            params={
                "fields": "id,caption,media_type,permalink,timestamp,comments_count",
                "limit": limit,
            },
        )
        return list(result.get("data", []))

    async def list_comments(self, media_id: str, limit: int = 50) -> list[dict[str, Any]]:
        result = await self.graph.request(
            "GET",
            f"{media_id}/comments",
            params={"fields": "id,text,timestamp,from,username,hidden", "limit": limit},
        )
        return list(result.get("data", []))

    async def list_conversations(
        self, limit: int = 25, *, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The account's conversations, newest first; with `user_id` (an IGSID), only the one
        with that person."""
        params: dict[str, Any] = {"platform": "instagram", "limit": limit}
        if user_id is not None:
            params["user_id"] = user_id
        result = await self.graph.request(
            "GET",
            f"{self.ig_id}/conversations",
            params=params,
            bucket="conversations",
            rate=self._conversations,
        )
        return list(result.get("data", []))

    async def list_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        result = await self.graph.request(
            "GET",
            conversation_id,
            params={"fields": "messages{id,created_time,from,message}"},
            bucket="conversations",
            rate=self._conversations,
        )
        return list(result.get("messages", {}).get("data", []))

    # -- publishing
    async def create_container(
        self,
        *,
        media_type: str = "IMAGE",
        image_url: str | None = None,
        video_url: str | None = None,
        caption: str | None = None,
        children: list[str] | None = None,
        is_carousel_item: bool = False,
        cover_url: str | None = None,
        share_to_feed: bool | None = None,
    ) -> str:
        params: dict[str, Any] = {}
        if media_type != "IMAGE":
            params["media_type"] = media_type
        for key, value in (
            ("image_url", image_url),
            ("video_url", video_url),
            ("caption", caption),
            ("cover_url", cover_url),
        ):
            if value:
                params[key] = value
        if share_to_feed is not None:
            params["share_to_feed"] = "true" if share_to_feed else "false"
        if children:
            params["children"] = ",".join(children)
        if is_carousel_item:
            params["is_carousel_item"] = "true"
        result = await self.graph.request("POST", f"{self.ig_id}/media", params=params)
        return str(result["id"])

    async def container_status(self, container_id: str) -> str:
        result = await self.graph.request("GET", container_id, params={"fields": "status_code"})
        return str(result.get("status_code", "IN_PROGRESS"))

    async def publish(self, container_id: str) -> str:
        result = await self.graph.request(
            "POST", f"{self.ig_id}/media_publish", params={"creation_id": container_id}, sends=True
        )
        return str(result["id"])

    async def media(self, media_id: str) -> dict[str, Any]:
        return await self.graph.request(
            "GET", media_id, params={"fields": "id,caption,media_type,permalink,timestamp"}
        )

    async def publishing_limit(self) -> dict[str, Any]:
        result = await self.graph.request(
            "GET", f"{self.ig_id}/content_publishing_limit", params={"fields": "quota_usage,config"}
        )
        data = result.get("data") or [{}]
        return dict(data[0])

    # -- tokens
    async def refresh_token(self, current_token: str) -> dict[str, Any]:
        """Long-lived Instagram tokens (60 days) refresh once at least 24 h old, before expiry."""
        return await self.graph.request(
            "GET",
            "refresh_access_token",
            versioned=False,
            auth=False,
            params={"grant_type": "ig_refresh_token", "access_token": current_token},
        )

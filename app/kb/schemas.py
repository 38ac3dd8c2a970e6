from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class DocumentOut(BaseModel):
    id: UUID
    title: str
    source_type: str
    filename: str | None
    byte_size: int
    status: str
    pages_total: int | None
    pages_read: int
    chunks_total: int
    chunks_embedded: int
    error: str | None
    embedding_model: str | None
    created_at: datetime
    updated_at: datetime


class FaqIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What are your opening hours?", "answer": "Mon-Sat, 8:00 to 18:00."}
            ]
        },
    )

    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=4000)


class FaqOut(BaseModel):
    id: UUID
    question: str
    answer: str
    embedding_model: str | None
    needs_review_since: datetime | None = Field(
        default=None,
        description="staff marked a reply from it wrong: trusted less until it is edited",
    )
    created_at: datetime
    updated_at: datetime


class FaqSuggestionOut(BaseModel):
    escalation_id: UUID
    conversation_id: UUID
    question: str = Field(description="the customer's words that led to the escalation")
    answer: str = Field(description="what staff answered")
    created_at: datetime


class FaqSuggestionAccept(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"question": "Do you deliver on Sundays?"}]},
    )

    question: Annotated[str, Field(min_length=1, max_length=1000)] | SkipJsonSchema[None] = None
    answer: Annotated[str, Field(min_length=1, max_length=4000)] | SkipJsonSchema[None] = None


class FaqImportOut(BaseModel):
    imported: int


class SearchHitOut(BaseModel):
    kind: Literal["faq", "chunk"]
    id: str
    score: float = Field(
        description="relevance on one scale for FAQ answers and passages (cosine similarity of "
        "the question and the text; 0 for a passage matched by its words alone); hits are "
        "sorted by it"
    )
    similarity: float | None
    text: str
    source: str
    page_number: int | None = None
    answer: str | None = None
    fused_rank: float | None = Field(
        default=None, description="a passage's hybrid (vector + full-text RRF) score"
    )


class SearchOut(BaseModel):
    query: str
    hits: list[SearchHitOut]

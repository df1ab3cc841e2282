"""Ids in URLs and request bodies: the database's 32-bit integer keys, checked at the edge.

A larger number is no row of ours; handed to PostgreSQL it would fail as a 500, not a 404/422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdField = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]

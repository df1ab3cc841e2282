"""MLLP framing, byte by byte: frames found wherever reads split them, bad framing stops."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from messages.mllp_frames import Frame, FrameDecoder, FramingError, frame


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[Frame | FramingError]:
    out: list[Frame | FramingError] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


payloads = st.lists(
    st.binary(min_size=1, max_size=200).map(
        lambda b: bytes(c for c in b if c not in (0x0B, 0x1C)) or b"MSH"
    ),
    min_size=1,
    max_size=5,
)


@given(payloads, st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=40))
def test_frames_are_found_however_the_stream_is_split(
    messages: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(frame(m) for m in messages)
    chunks, position = [], 0
    for size in cuts * (len(stream) // max(sum(cuts), 1) + 1):
        chunks.append(stream[position : position + size])
        position += size
    chunks.append(stream[position:])
    decoded = feed_all(FrameDecoder(10_000), chunks)
    assert decoded == [Frame(m) for m in messages]


def test_line_ends_between_frames_are_tolerated() -> None:
    decoded = FrameDecoder(100).feed(b"\r\n" + frame(b"A") + b"\n" + frame(b"B"))
    assert decoded == [Frame(b"A"), Frame(b"B")]


def test_data_outside_a_frame_is_a_framing_error_and_the_decoder_stops() -> None:
    decoder = FrameDecoder(100)
    decoded = decoder.feed(b"MSH|^~\\&|unframed\r" + frame(b"A"))
    assert decoded == [FramingError("data outside a frame (a message must start with 0x0B)")]
    assert decoder.feed(frame(b"B")) == []


def test_an_end_block_without_its_carriage_return_is_a_framing_error() -> None:
    decoded = FrameDecoder(100).feed(b"\x0bMSH\x1cX")
    assert decoded == [FramingError("end block 0x1C not followed by 0x0D")]


def test_a_start_block_inside_a_message_is_a_framing_error() -> None:
    decoded = FrameDecoder(100).feed(b"\x0bMSH|cut short\x0bMSH|next\x1c\r")
    assert decoded == [FramingError("a start block inside a message: the one before was cut short")]


def test_a_message_over_the_limit_is_refused_without_holding_more_than_the_limit() -> None:
    decoder = FrameDecoder(1000)
    assert decoder.feed(b"\x0b" + b"x" * 600) == []
    assert decoder.feed(b"x" * 600) == [FramingError("message longer than 1000 bytes")]
    assert len(decoder._buffer) == 0


def test_a_message_exactly_at_the_limit_is_accepted() -> None:
    assert FrameDecoder(5).feed(frame(b"12345")) == [Frame(b"12345")]

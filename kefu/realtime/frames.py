"""What every kefu socket shares: JSON frames, where a frame that is not JSON is ignored, not fatal."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


def frame_int(value) -> int:
    """A non-negative whole number from a frame (ids, sequence numbers), at most a 64-bit id; anything
    else is 0."""
    try:
        return min(max(int(value or 0), 0), 2**63 - 1)
    except (TypeError, ValueError, OverflowError):
        return 0


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    @classmethod
    async def decode_json(cls, text_data):
        """A frame that is not JSON arrives as None; receive_json answers it like any unknown frame."""
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

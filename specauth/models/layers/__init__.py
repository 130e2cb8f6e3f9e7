"""Custom Keras layers of the specauth networks.

Importing this package registers the layers with Keras' serialisation, so a
saved ``.keras`` network that uses them loads in safe mode. The ``fixed_*``
functions build the same maps as single built-in Keras layers (for a known
channel count, or length), which the network builders use so that their
files load with plain Keras, without specauth.
"""

from specauth.models.layers.channel_adapter import (
    ChannelAdapter,
    fixed_channel_adapter,
)
from specauth.models.layers.gramian_angular import GramianAngularLayer
from specauth.models.layers.pixel_scaling import PixelScaling, fixed_pixel_scaling
from specauth.models.layers.position_channel import (
    PositionChannel,
    fixed_position_channel,
)

__all__ = [
    "ChannelAdapter",
    "GramianAngularLayer",
    "PixelScaling",
    "PositionChannel",
    "fixed_channel_adapter",
    "fixed_pixel_scaling",
    "fixed_position_channel",
]

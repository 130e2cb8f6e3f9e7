"""Custom Keras layers of the specauth networks.

Importing this package registers the layers with Keras' serialisation, so a
saved ``.keras`` network that uses them loads in safe mode.
"""

from specauth.models.layers.channel_adapter import ChannelAdapter
from specauth.models.layers.gramian_angular import GramianAngularLayer
from specauth.models.layers.pixel_scaling import PixelScaling
from specauth.models.layers.position_channel import (
    PositionChannel,
    fixed_position_channel,
)

__all__ = [
    "ChannelAdapter",
    "GramianAngularLayer",
    "PixelScaling",
    "PositionChannel",
    "fixed_position_channel",
]

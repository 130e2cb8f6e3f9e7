"""Custom Keras layers of the specauth networks.

Importing this package registers the layers with Keras' serialisation, so a
saved ``.keras`` network that uses them loads in safe mode. The ``fixed_*``
functions build position, channel and pixel maps as single built-in Keras
layers (for a known channel count, or length), which the network builders
use so that their files load with plain Keras, without specauth.

``ChannelAdapter``, ``PixelScaling`` and ``PositionChannel`` are legacy
custom layers that no builder uses any more: they are imported here only so
that they stay registered and ``.keras`` files saved by earlier versions
still load. They are not part of the public API.
"""

from __future__ import annotations

from specauth.models.layers.channel_adapter import (
    ChannelAdapter,  # noqa: F401 - legacy, registered for old files
    fixed_channel_adapter,
)
from specauth.models.layers.gramian_angular import GramianAngularLayer
from specauth.models.layers.log_activation import LogActivation
from specauth.models.layers.pattern_augment import PatternAugmentation
from specauth.models.layers.pixel_scaling import (
    PixelScaling,  # noqa: F401 - legacy, registered for old files
    fixed_pixel_scaling,
)
from specauth.models.layers.polar import AngularCrossCorrelation, PolarResample
from specauth.models.layers.position_channel import (
    PositionChannel,  # noqa: F401 - legacy, registered for old files
    fixed_position_channel,
)
from specauth.models.layers.self_attention import SelfAttention
from specauth.models.layers.spectrum_augment import SpectrumAugmentation

__all__ = [
    "AngularCrossCorrelation",
    "GramianAngularLayer",
    "LogActivation",
    "PatternAugmentation",
    "PolarResample",
    "SelfAttention",
    "SpectrumAugmentation",
    "fixed_channel_adapter",
    "fixed_pixel_scaling",
    "fixed_position_channel",
]
